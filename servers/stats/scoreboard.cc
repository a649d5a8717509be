#include "servers/stats/scoreboard.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <new>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

namespace corral::stats {
namespace {

// Closes a descriptor on scope exit.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

uint64_t NowUnixNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

// The generation of a valid scoreboard already at `path`, or 0 if there is none.
uint64_t ExistingGeneration(const std::string& path) {
  // Not following a symlink nor waiting on a FIFO someone left there.
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return 0;
  FdCloser closer(fd);
  unsigned char bytes[sizeof(ScoreboardHeader)];
  if (pread(fd, bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) return 0;
  uint64_t magic = 0;
  uint64_t generation = 0;
  std::memcpy(&magic, bytes + offsetof(ScoreboardHeader, magic), sizeof(magic));
  std::memcpy(&generation, bytes + offsetof(ScoreboardHeader, generation), sizeof(generation));
  return magic == kScoreboardMagic ? generation : 0;
}

void CopyName(char (&dst)[kNameBytes], const std::string& src) {
  std::memset(dst, 0, kNameBytes);
  std::memcpy(dst, src.data(), src.size());
}

}  // namespace

absl::StatusOr<Scoreboard> Scoreboard::Create(const ScoreboardOptions& options) {
  const std::string what = absl::StrCat("create scoreboard ", options.path);
  if (options.path.empty()) return absl::InvalidArgumentError("create scoreboard: empty path");
  if (options.slot_count == 0 || options.slot_count > kMaxSlots) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": slot count ", options.slot_count, " is outside 1..", kMaxSlots));
  }
  if (options.protocol.size() >= kNameBytes || options.model.size() >= kNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": protocol and model names must be under ", kNameBytes, " bytes"));
  }
  const uint64_t generation =
      options.generation != 0 ? options.generation : ExistingGeneration(options.path) + 1;

  // Build the whole file under a temporary name, then rename it over `path`: a reader opening
  // `path` sees either the previous file or this one complete, never a partial one. A file
  // handed over is published by the one who handed it, after this.
  const bool handed_over = options.fd >= 0;
  std::string temp = options.path + ".XXXXXX";
  const int fd = handed_over ? options.fd : mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return base::SyscallError(absl::StrCat(what, ": create temporary file"), errno);
  FdCloser closer(fd);
  auto fail = [&](absl::Status status) {
    if (!handed_over) unlink(temp.c_str());
    return status;
  };
  if (handed_over) {
    struct stat st;
    if (fstat(fd, &st) != 0) return base::SyscallError(what, errno);
    if (!S_ISREG(st.st_mode) || st.st_size != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": descriptor ", fd, " is not an empty regular file"));
    }
  }
  // Allocate every block now: a sparse file would get its blocks on the first store into each
  // hole page, and on a full filesystem that store raises SIGBUS in a worker. Failing here gives
  // the agent a start failure with a reason instead.
  const uint64_t size = ScoreboardFileSize(options.slot_count);
  if (const int err = posix_fallocate(fd, 0, static_cast<off_t>(size)); err != 0) {
    return fail(base::SyscallError(what, err));
  }
  absl::StatusOr<MappedRegion> region = MappedRegion::Map(fd, size, /*writable=*/true, what);
  if (!region.ok()) return fail(region.status());

  // The file is all zero bytes, which is a valid empty state for every field. Only the header is
  // written; the slots' blocks are allocated (and zero) already.
  auto* header = new (region->data()) ScoreboardHeader();
  header->layout_version = kLayoutVersion;
  header->header_size = sizeof(ScoreboardHeader);
  header->slot_size = sizeof(SlotLayout);
  header->slot_count = options.slot_count;
  header->histogram_buckets = HistogramBuckets::kCount;
  header->server_pid = getpid();
  header->worker_cap = options.worker_cap;
  header->slots_offset = sizeof(ScoreboardHeader);
  header->file_size = size;
  header->start_time_unix_ns = NowUnixNs();
  header->generation = generation;
  CopyName(header->protocol, options.protocol);
  CopyName(header->model, options.model);
  header->magic.store(kScoreboardMagic, std::memory_order_release);

  if (!handed_over && rename(temp.c_str(), options.path.c_str()) != 0) {
    return fail(base::SyscallError(absl::StrCat(what, ": rename ", temp), errno));
  }
  return Scoreboard(options.path, *std::move(region));
}

int Scoreboard::RegisterDropSocket(uint64_t socket, uint64_t drops_now) {
  auto& entries = header()->listener.socket_drops;
  for (size_t i = 0; i < entries.size(); ++i) {
    uint64_t owner = entries[i].socket.load(std::memory_order_acquire);
    if (owner == 0 &&
        entries[i].socket.compare_exchange_strong(owner, socket, std::memory_order_acq_rel)) {
      entries[i].at_start.store(drops_now, std::memory_order_relaxed);
      OnKernelDrops(static_cast<int>(i), drops_now);
      return static_cast<int>(i);
    }
    if (owner == socket) return static_cast<int>(i);
  }
  return -1;
}

void Scoreboard::OnKernelDrops(int entry, uint64_t cumulative) {
  if (entry < 0 || static_cast<size_t>(entry) >= kDropSockets) return;
  std::atomic<uint64_t>& seen = header()->listener.socket_drops[entry].seen;
  uint64_t known = seen.load(std::memory_order_relaxed);
  while (cumulative > known &&
         !seen.compare_exchange_weak(known, cumulative, std::memory_order_relaxed)) {
  }
}

SlotLayout* Scoreboard::slot(uint32_t i) const {
  auto* base = static_cast<char*>(region_.data()) + header()->slots_offset;
  return reinterpret_cast<SlotLayout*>(base + uint64_t{i} * sizeof(SlotLayout));
}

absl::StatusOr<SlotWriter> Scoreboard::ClaimSlot() {
  const uint64_t me = MakeOwnerWord(getpid(), gettid());
  const uint32_t n = slot_count();
  for (uint32_t i = 0; i < n; ++i) {
    SlotLayout* s = slot(i);
    uint64_t expected = 0;
    if (s->owner.load(std::memory_order_relaxed) != 0) continue;
    // Acquire: continue the previous owner's counters from its final values.
    if (!s->owner.compare_exchange_strong(expected, me, std::memory_order_acq_rel,
                                          std::memory_order_relaxed)) {
      continue;
    }
    OwnedAdd(s->claims, 1);
    s->state.store(static_cast<uint32_t>(WorkerState::kIdle), std::memory_order_relaxed);
    return SlotWriter(s, i);
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("claim scoreboard slot in ", path_, ": all ", n, " slots are in use"));
}

int Scoreboard::ReclaimSlotsOf(pid_t pid, bool crashed) {
  int reclaimed = 0;
  const uint32_t n = slot_count();
  for (uint32_t i = 0; i < n; ++i) {
    SlotLayout* s = slot(i);
    uint64_t word = s->owner.load(std::memory_order_acquire);
    if (word == 0 || OwnerPid(word) != pid) continue;
    // The owner is dead and reaped, so this thread is the slot's only writer until it is freed.
    if (crashed && IsBusy(static_cast<WorkerState>(s->state.load(std::memory_order_relaxed)))) {
      OwnedAdd(s->counters.errors[static_cast<uint32_t>(ErrorKind::kProtocol)], 1);
      OwnedAdd(s->counters.closed, 1);
    }
    s->state.store(static_cast<uint32_t>(WorkerState::kFree), std::memory_order_relaxed);
    if (s->owner.compare_exchange_strong(word, 0, std::memory_order_acq_rel)) ++reclaimed;
  }
  return reclaimed;
}

void Scoreboard::SetListenerState(ListenerState state) {
  header()->listener.state.store(static_cast<uint32_t>(state), std::memory_order_relaxed);
}

void Scoreboard::OnRefusedAtCap() {
  header()->listener.refused_at_cap.fetch_add(1, std::memory_order_relaxed);
}

void Scoreboard::OnRefusedPerClient() {
  header()->listener.refused_per_client.fetch_add(1, std::memory_order_relaxed);
}

void Scoreboard::OnStall() { header()->listener.stalls.fetch_add(1, std::memory_order_relaxed); }

void Scoreboard::OnAcceptError() {
  header()->listener.accept_errors.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace corral::stats
