// PerClientLimit: at most N connections served at once per client address, so that one client
// (slowloris: many connections that trickle or stay silent) cannot take every worker.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "servers/stats/scoreboard.h"

namespace corral::models {

// A client is an IPv4 address, or an IPv6 /64 (one site's hosts, or one host's privacy
// addresses, which it can change at will inside its /64; an IPv4-mapped address counts as the
// IPv4 one). Other families (AF_UNIX) are not capped.
//
// The counts live in a table of atomic counters mapped MAP_SHARED | MAP_ANONYMOUS when the
// limit is created, so every thread and every process forked afterwards (pool workers that
// accept for themselves) counts into the same table. A client is found by a seeded hash of
// its address (the seed is random per server, so nobody can choose addresses that land on a
// victim's counter); two clients whose hashes collide share one count: the cap between them is
// stricter, never looser. With kBuckets counters and at most max_workers clients connected,
// a given client shares its counter with another connected one with probability at most
// max_workers / kBuckets (1.6% at 1,024 workers), and is refused early only if their
// connections together reach N.
//
// A worker process that dies without ending its Hold (a crash) leaves its one count taken.
//
// Thread-safety: Admit and Hold's calls are lock-free and may run concurrently from any
// thread of any process sharing the table. The object must outlive every Hold.
class PerClientLimit {
 public:
  static constexpr uint32_t kBuckets = 1 << 16;  // 256 KiB of counters

  // A place taken and not held by any Hold: what a Hold that is handed to another worker
  // (a greenlet, or a child forked afterwards, where the mapping is at the same address)
  // becomes on the way. Copyable, so a std::function may carry it.
  struct Detached {
    std::atomic<uint32_t>* count = nullptr;
  };

  // One admitted connection's place in its client's count, given back when it is destroyed.
  // Empty (holds nothing) for clients that are not capped. Move-only.
  class Hold {
   public:
    Hold() = default;
    // Takes over a place that Detach() let go of.
    explicit Hold(Detached place) : count_(place.count) {}
    Hold(Hold&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
    Hold& operator=(Hold&& other) noexcept;
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold() { Release(); }

    // Gives the place back now. Idempotent.
    void Release();
    // Stops holding without giving the place back: a Hold made from the result must.
    Detached Detach() { return Detached{std::exchange(count_, nullptr)}; }

   private:
    friend class PerClientLimit;
    std::atomic<uint32_t>* count_ = nullptr;
  };

  // A limit of `max_per_client` connections per client (> 0). `board` (or null), where
  // refusals are counted, must outlive the limit. INTERNAL when the table cannot be mapped.
  static absl::StatusOr<std::unique_ptr<PerClientLimit>> Create(uint32_t max_per_client,
                                                                stats::Scoreboard* board);
  ~PerClientLimit();
  PerClientLimit(const PerClientLimit&) = delete;
  PerClientLimit& operator=(const PerClientLimit&) = delete;

  // At an accept site, right after accept: the place of the connection `fd` in its client's
  // count, or nullopt when the client already has max_per_client connections (the refusal is
  // counted; the caller closes `fd` at once). `limit` null means no cap: always an empty Hold.
  static std::optional<Hold> Admit(PerClientLimit* limit, int fd);

  // The same for a peer address already known.
  std::optional<Hold> Admit(const sockaddr* peer, socklen_t length);

  uint32_t max_per_client() const { return max_; }
  // Connections counted now for the client at `peer` (tests and diagnostics).
  uint32_t CountOf(const sockaddr* peer, socklen_t length) const;

 private:
  PerClientLimit(uint32_t max, stats::Scoreboard* board, std::atomic<uint32_t>* counts,
                 uint64_t seed)
      : max_(max), board_(board), counts_(counts), seed_(seed) {}
  // The client's counter, or null for an address that is not capped.
  std::atomic<uint32_t>* CounterFor(const sockaddr* peer, socklen_t length) const;

  const uint32_t max_;
  stats::Scoreboard* const board_;
  std::atomic<uint32_t>* const counts_;  // kBuckets, MAP_SHARED
  const uint64_t seed_;
};

}  // namespace corral::models
