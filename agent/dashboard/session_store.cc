#include "agent/dashboard/session_store.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>

#include "absl/strings/escaping.h"

namespace corral::agent::dashboard {

std::string RandomHex32() {
  uint8_t bytes[32];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) std::abort();  // no randomness: a guessable session id would be worse
    got += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

Session SessionStore::Create(const TokenHolder& holder) {
  Session session{RandomHex32(), RandomHex32(), holder};
  absl::MutexLock lock(&mu_);
  while (sessions_.size() >= kMaxSessions) {
    sessions_.erase(lru_.front());
    lru_.pop_front();
  }
  lru_.push_back(session.id);
  sessions_[session.id] = {session, std::chrono::steady_clock::now(), std::prev(lru_.end())};
  return session;
}

std::optional<Session> SessionStore::Find(absl::string_view id) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  auto now = std::chrono::steady_clock::now();
  if (now - it->second.used > kIdleExpiry) {
    lru_.erase(it->second.order);
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.used = now;
  lru_.splice(lru_.end(), lru_, it->second.order);
  return it->second.session;
}

void SessionStore::Remove(absl::string_view id) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  lru_.erase(it->second.order);
  sessions_.erase(it);
}

size_t SessionStore::size() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

}  // namespace corral::agent::dashboard
