// SessionStore: the dashboard's logged-in browsers. A login with a valid token creates a
// session: a random id (the HttpOnly cookie) and a random CSRF token (which the page sends back
// in a header with every action; a page of another origin can make the browser send the cookie
// but cannot read the token). Bounded: at most kMaxSessions live at once (a new one evicts the
// least recently used), and a session unused for kIdleExpiry is gone.
// Thread-safe: every connection thread calls it.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "agent/token_file.h"

namespace corral::agent::dashboard {

struct Session {
  std::string id;    // 64 hex digits from getrandom
  std::string csrf;  // 64 hex digits from getrandom
  TokenHolder holder;
};

// 32 random bytes as 64 hex digits (getrandom: blocks only before the kernel's pool is ready).
std::string RandomHex32();

class SessionStore {
 public:
  static constexpr size_t kMaxSessions = 256;
  static constexpr std::chrono::hours kIdleExpiry{12};

  Session Create(const TokenHolder& holder);
  // The live session `id`, refreshing its idle clock; nullopt when unknown or expired.
  std::optional<Session> Find(absl::string_view id);
  void Remove(absl::string_view id);
  size_t size() const;

 private:
  struct Entry {
    Session session;
    std::chrono::steady_clock::time_point used;
    std::list<std::string>::iterator order;
  };
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // least recently used first
};

}  // namespace corral::agent::dashboard
