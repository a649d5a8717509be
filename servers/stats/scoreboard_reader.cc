#include "servers/stats/scoreboard_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "absl/strings/str_cat.h"

namespace corral::stats {
namespace {

uint64_t ClockNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

std::string FixedString(const char (&chars)[kNameBytes]) {
  return std::string(chars, strnlen(chars, kNameBytes));
}

// Checks everything a reader relies on before touching a slot.
absl::Status ValidateHeader(const ScoreboardHeader& h, uint64_t actual_size,
                            const std::string& what) {
  const uint64_t magic = h.magic.load(std::memory_order_acquire);
  if (magic != kScoreboardMagic) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": not a corral scoreboard (magic 0x", absl::Hex(magic), ")"));
  }
  if (h.layout_version != kLayoutVersion) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": layout version ", h.layout_version,
                                                      ", this build reads ", kLayoutVersion));
  }
  if (h.header_size != sizeof(ScoreboardHeader) || h.slot_size != sizeof(SlotLayout) ||
      h.histogram_buckets != HistogramBuckets::kCount || h.slots_offset != h.header_size) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, ": written by a different build (header ", h.header_size, " bytes, slot ",
        h.slot_size, " bytes, ", h.histogram_buckets, " buckets; expected ",
        sizeof(ScoreboardHeader), ", ", sizeof(SlotLayout), ", ", HistogramBuckets::kCount, ")"));
  }
  if (h.slot_count == 0 || h.slot_count > kMaxSlots ||
      h.file_size != ScoreboardFileSize(h.slot_count)) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": corrupt header (", h.slot_count, " slots, ", h.file_size, " bytes)"));
  }
  if (actual_size < h.file_size) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": truncated: file is ", actual_size,
                                                      " bytes, header says ", h.file_size));
  }
  return absl::OkStatus();
}

}  // namespace

ScoreboardReader::ScoreboardReader(std::string path, MappedRegion region, dev_t dev, ino_t ino)
    : path_(std::move(path)), region_(std::move(region)), dev_(dev), ino_(ino) {
  identity_.server_pid = header()->server_pid;
  identity_.start_time_unix_ns = header()->start_time_unix_ns;
  identity_.generation = header()->generation;
}

absl::StatusOr<ScoreboardReader> ScoreboardReader::Open(const std::string& path) {
  const std::string what = absl::StrCat("open scoreboard ", path);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, what);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return absl::ErrnoToStatus(err, what);
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < sizeof(ScoreboardHeader)) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": truncated or not a scoreboard: file is ", size,
                     " bytes, a header alone is ", sizeof(ScoreboardHeader)));
  }
  absl::StatusOr<MappedRegion> region = MappedRegion::Map(fd, size, /*writable=*/false, what);
  close(fd);  // the mapping keeps the file
  if (!region.ok()) return region.status();
  const auto* h = static_cast<const ScoreboardHeader*>(region->data());
  if (absl::Status s = ValidateHeader(*h, size, what); !s.ok()) return s;
  return ScoreboardReader(path, *std::move(region), st.st_dev, st.st_ino);
}

const SlotLayout* ScoreboardReader::slot(uint32_t i) const {
  const auto* base = static_cast<const char*>(region_.data()) + header()->slots_offset;
  return reinterpret_cast<const SlotLayout*>(base + uint64_t{i} * sizeof(SlotLayout));
}

Snapshot ScoreboardReader::Read(const ReadOptions& options) const {
  const ScoreboardHeader* h = header();
  Snapshot snap;
  snap.identity = identity_;
  snap.protocol = FixedString(h->protocol);
  snap.model = FixedString(h->model);
  snap.taken_unix_ns = ClockNs(CLOCK_REALTIME);
  snap.taken_monotonic_ns = ClockNs(CLOCK_MONOTONIC);
  const uint32_t listener_state = h->listener.state.load(std::memory_order_relaxed);
  snap.listener_state = listener_state <= static_cast<uint32_t>(ListenerState::kStopped)
                            ? static_cast<ListenerState>(listener_state)
                            : ListenerState::kStopped;
  snap.listener_refused_at_cap = h->listener.refused_at_cap.load(std::memory_order_relaxed);
  snap.listener_accept_errors = h->listener.accept_errors.load(std::memory_order_relaxed);

  const uint32_t n = h->slot_count;
  snap.slots.resize(n);
  if (options.per_slot_latency) snap.slot_latency.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    const SlotLayout* s = slot(i);
    SlotSnapshot& out = snap.slots[i];
    out.index = i;
    const uint64_t owner = s->owner.load(std::memory_order_acquire);
    out.owner_pid = OwnerPid(owner);
    out.owner_tid = OwnerTid(owner);
    const uint32_t state = s->state.load(std::memory_order_relaxed);
    out.state = state < kWorkerStateCount ? static_cast<WorkerState>(state) : WorkerState::kIdle;
    if (owner == 0) out.state = WorkerState::kFree;
    ++snap.workers_by_state[static_cast<size_t>(out.state)];
    out.claims = s->claims.load(std::memory_order_acquire);
    if (out.claims == 0) continue;  // never owned: every counter is still zero

    const SlotCounters& c = s->counters;
    // `closed` before `accepted`: a close always follows its accept, so on x86 (stores seen in
    // order) active never reads below 0; elsewhere CounterSet::active() floors it.
    out.counters.closed = c.closed.load(std::memory_order_relaxed);
    out.counters.accepted = c.accepted.load(std::memory_order_relaxed);
    out.counters.requests = c.requests.load(std::memory_order_relaxed);
    out.counters.bytes_in = c.bytes_in.load(std::memory_order_relaxed);
    out.counters.bytes_out = c.bytes_out.load(std::memory_order_relaxed);
    for (size_t e = 0; e < kErrorKindCount; ++e) {
      out.counters.errors[e] = c.errors[e].load(std::memory_order_relaxed);
    }
    snap.totals.Add(out.counters);
    if (options.per_slot_latency) {
      s->latency.AddTo(snap.slot_latency[i]);
      snap.latency.Add(snap.slot_latency[i]);
    } else {
      s->latency.AddTo(snap.latency);
    }
  }
  snap.totals.errors[static_cast<size_t>(ErrorKind::kRefusedAtCap)] += snap.listener_refused_at_cap;
  return snap;
}

bool ScoreboardReader::IsReplaced() const {
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) return true;
  return st.st_dev != dev_ || st.st_ino != ino_;
}

}  // namespace corral::stats
