#pragma once

// The scoreboard file, byte for byte. Written by corral-server (and its forked children, which
// inherit the MAP_SHARED mapping), read by corral-agent with pread() (never mapped there: the
// agent does not trust the file, see scoreboard_reader.h). Both sides are the same build on the
// same machine, so the layout is native-endian and native-aligned; the header's version and sizes
// let a reader refuse a file from another build.
//
//   offset 0              ScoreboardHeader (with the ListenerSection), cache-line aligned
//   slots_offset          slot_count x SlotLayout, each starting on its own cache line
//
// Change anything below -> bump kLayoutVersion.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "servers/stats/error_kind.h"
#include "servers/stats/histogram.h"
#include "servers/stats/owned_counter.h"

namespace corral::stats {

inline constexpr size_t kCacheLineBytes = 64;
// 4: worker cap, kernel drops; 3: stalls; 2: per-client refusals, 7 errors
inline constexpr uint32_t kLayoutVersion = 4;
inline constexpr uint32_t kMaxSlots = 16384;  // ~270 MiB of (allocated) file at most
inline constexpr size_t kNameBytes = 32;      // protocol / model strings, NUL-padded

// "CORRALSB" as it appears in a hex dump of the file.
inline constexpr uint64_t kScoreboardMagic = [] {
  constexpr char kText[] = "CORRALSB";
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(kText[i]);
  return v;
}();

// One UDP socket's kernel drop count. The kernel counts per socket, cumulatively, and every
// reader of the socket (several workers, threads or processes) sees the same count: so the
// scoreboard keeps the highest seen, and the count the socket had when the server took it (the
// agent may have held it for an earlier run): drops = seen - at_start. `socket` (the socket's
// inode number) is claimed by CAS from 0; the first to claim it stores at_start.
struct SocketDropsEntry {
  std::atomic<uint64_t> socket;
  std::atomic<uint64_t> at_start;
  std::atomic<uint64_t> seen;
};
// Sockets counted: one, or one per coroutine hub standalone (SO_REUSEPORT); more are not.
inline constexpr size_t kDropSockets = 16;

// Server-wide counters, written by whichever thread accepts (there may be several acceptors, and
// the fork model's parent owns no slot), hence fetch_add rather than OwnedAdd.
struct alignas(kCacheLineBytes) ListenerSection {
  std::atomic<uint32_t> state;               // ListenerState
  std::atomic<uint64_t> refused_at_cap;      // connections closed at once: worker cap reached
  std::atomic<uint64_t> accept_errors;       // accept() failures (EMFILE, ENFILE, ENOBUFS, ...)
  std::atomic<uint64_t> refused_per_client;  // closed at once: the client was at its cap
  // coroutine: times a greenlet held its hub past the spec's stall bound (by the stall watchdog)
  std::atomic<uint64_t> stalls;
  // UDP: the kernel's drop count per socket (SO_RXQ_OVFL; see socket_drops.h).
  std::array<SocketDropsEntry, kDropSockets> socket_drops;
};

struct alignas(kCacheLineBytes) ScoreboardHeader {
  // Written last (release) once everything else is in place; a reader acquires it first.
  std::atomic<uint64_t> magic;
  uint32_t layout_version;
  uint32_t header_size;  // sizeof(ScoreboardHeader)
  uint32_t slot_size;    // sizeof(SlotLayout)
  uint32_t slot_count;
  uint32_t histogram_buckets;   // HistogramBuckets::kCount
  int32_t server_pid;           // the corral-server process that created the file
  uint32_t worker_cap;          // the spec's max_workers: clients served at once; 0: unknown
  uint32_t reserved_header;     // zero
  uint64_t slots_offset;        // bytes from the start of the file to slot 0
  uint64_t file_size;           // bytes
  uint64_t start_time_unix_ns;  // CLOCK_REALTIME at creation
  uint64_t generation;          // 1 for a new path, +1 each time the file at the path is replaced
  char protocol[kNameBytes];    // e.g. "http", NUL-terminated
  char model[kNameBytes];       // e.g. "fork", NUL-terminated
  ListenerSection listener;
};

// Per-slot counters. Only the slot's owner writes them (OwnedAdd); they are cumulative over all
// owners the slot ever had and never go down while the file exists.
struct SlotCounters {
  std::atomic<uint64_t> accepted;   // connections (or UDP peers) taken
  std::atomic<uint64_t> closed;     // connections finished; active = accepted - closed
  std::atomic<uint64_t> requests;   // requests (or datagrams) answered
  std::atomic<uint64_t> bytes_in;   // bytes read from clients
  std::atomic<uint64_t> bytes_out;  // bytes written to clients
  std::array<std::atomic<uint64_t>, kErrorKindCount> errors;  // indexed by ErrorKind
};

// Owner word: (pid << 32) | tid of the claiming thread, 0 when free.
constexpr uint64_t MakeOwnerWord(int32_t pid, int32_t tid) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(pid)) << 32) | static_cast<uint32_t>(tid);
}
constexpr int32_t OwnerPid(uint64_t word) { return static_cast<int32_t>(word >> 32); }
constexpr int32_t OwnerTid(uint64_t word) { return static_cast<int32_t>(word & 0xffffffffu); }

struct alignas(kCacheLineBytes) SlotLayout {
  // Line 0: ownership, touched by claimers scanning for a free slot.
  std::atomic<uint64_t> owner;   // owner word, CAS'd 0 -> word on claim
  std::atomic<uint32_t> state;   // WorkerState; owner writes, kFree on release
  uint32_t reserved;             // zero
  std::atomic<uint64_t> claims;  // how many times the slot was claimed (owners so far)
  // Next lines: hot counters and the histogram, written only by the owner.
  alignas(kCacheLineBytes) SlotCounters counters;
  alignas(kCacheLineBytes) LatencyHistogram latency;
};

static_assert(std::is_standard_layout_v<ListenerSection>);
static_assert(std::is_standard_layout_v<ScoreboardHeader>);
static_assert(std::is_standard_layout_v<SlotLayout>);
static_assert(sizeof(SlotLayout) % kCacheLineBytes == 0, "slots must not share cache lines");
static_assert(offsetof(SlotLayout, counters) % kCacheLineBytes == 0);
static_assert(sizeof(ScoreboardHeader) % kCacheLineBytes == 0);

constexpr uint64_t ScoreboardFileSize(uint32_t slot_count) {
  return sizeof(ScoreboardHeader) + uint64_t{slot_count} * sizeof(SlotLayout);
}

}  // namespace corral::stats
