#include "servers/stats/scoreboard_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"

namespace corral::stats {
namespace {

// Every counter is copied out of the file's bytes at its offset in the shared layout.
static_assert(sizeof(std::atomic<uint64_t>) == sizeof(uint64_t));
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
static_assert(std::is_standard_layout_v<SlotCounters>);
static_assert(std::is_standard_layout_v<LatencyHistogram>);

// Slot bytes up to the histogram: ownership, state and counters. Read for every slot; the 16 KiB
// histogram only for slots that have had an owner.
constexpr size_t kSlotPrefixBytes = offsetof(SlotLayout, latency);
constexpr size_t kCountersAt = offsetof(SlotLayout, counters);

uint64_t ClockNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

template <typename T>
T LoadAt(const unsigned char* bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes + offset, sizeof(T));
  return value;
}

// Reads exactly `size` bytes at `offset`; a short read means the file was truncated under us.
absl::Status PreadExactly(int fd, void* buf, size_t size, uint64_t offset,
                          const std::string& what) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n =
        pread(fd, static_cast<char*>(buf) + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return base::SyscallError(what, errno);
    if (n == 0) {
      return absl::DataLossError(absl::StrCat(what, ": truncated: no bytes at offset ",
                                              offset + done, " (", size - done, " expected)"));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

const char* FileTypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// The fixed-size name fields: NUL-terminated within their bytes, as the writer leaves them.
absl::StatusOr<std::string> NameAt(const unsigned char* bytes, size_t offset, const char* field,
                                   const std::string& what) {
  const char* chars = reinterpret_cast<const char*>(bytes + offset);
  const size_t len = strnlen(chars, kNameBytes);
  if (len == kNameBytes) {
    return absl::DataLossError(absl::StrCat(what, ": corrupt header (", field, " not terminated)"));
  }
  return std::string(chars, len);
}

// Checks everything a reader relies on, against the file's real size, before touching a slot.
absl::Status ValidateHeader(const unsigned char* h, uint64_t actual_size, const std::string& what) {
  const uint64_t magic = LoadAt<uint64_t>(h, offsetof(ScoreboardHeader, magic));
  if (magic != kScoreboardMagic) {
    return absl::DataLossError(
        absl::StrCat(what, ": not a corral scoreboard (magic 0x", absl::Hex(magic), ")"));
  }
  const auto version = LoadAt<uint32_t>(h, offsetof(ScoreboardHeader, layout_version));
  if (version != kLayoutVersion) {
    return absl::DataLossError(
        absl::StrCat(what, ": layout version ", version, ", this build reads ", kLayoutVersion));
  }
  const auto header_size = LoadAt<uint32_t>(h, offsetof(ScoreboardHeader, header_size));
  const auto slot_size = LoadAt<uint32_t>(h, offsetof(ScoreboardHeader, slot_size));
  const auto buckets = LoadAt<uint32_t>(h, offsetof(ScoreboardHeader, histogram_buckets));
  const auto slots_offset = LoadAt<uint64_t>(h, offsetof(ScoreboardHeader, slots_offset));
  if (header_size != sizeof(ScoreboardHeader) || slot_size != sizeof(SlotLayout) ||
      buckets != HistogramBuckets::kCount || slots_offset != sizeof(ScoreboardHeader)) {
    return absl::DataLossError(
        absl::StrCat(what, ": written by a different build (header ", header_size, " bytes, slot ",
                     slot_size, " bytes, ", buckets, " buckets, slots at ", slots_offset,
                     "; expected ", sizeof(ScoreboardHeader), ", ", sizeof(SlotLayout), ", ",
                     HistogramBuckets::kCount, ", ", sizeof(ScoreboardHeader), ")"));
  }
  const auto slot_count = LoadAt<uint32_t>(h, offsetof(ScoreboardHeader, slot_count));
  const auto file_size = LoadAt<uint64_t>(h, offsetof(ScoreboardHeader, file_size));
  if (slot_count == 0 || slot_count > kMaxSlots || file_size != ScoreboardFileSize(slot_count)) {
    return absl::DataLossError(
        absl::StrCat(what, ": corrupt header (", slot_count, " slots, ", file_size, " bytes)"));
  }
  if (actual_size != file_size) {
    return absl::DataLossError(absl::StrCat(what, ": truncated or resized: file is ", actual_size,
                                            " bytes, header says ", file_size));
  }
  return absl::OkStatus();
}

// Copies one slot's prefix (ownership, state, counters) into `out`, refusing values its writer
// never stores. `claims` == 0 means never owned: the counters are then left at zero.
absl::Status ParseSlotPrefix(const unsigned char* bytes, uint32_t index, SlotSnapshot& out,
                             const std::string& what) {
  out.index = index;
  const auto owner = LoadAt<uint64_t>(bytes, offsetof(SlotLayout, owner));
  const auto state = LoadAt<uint32_t>(bytes, offsetof(SlotLayout, state));
  const auto reserved = LoadAt<uint32_t>(bytes, offsetof(SlotLayout, reserved));
  if (state >= kWorkerStateCount || reserved != 0 ||
      (owner != 0 && (OwnerPid(owner) <= 0 || OwnerTid(owner) <= 0))) {
    return absl::DataLossError(absl::StrCat(what, ": slot ", index, " is corrupt (owner 0x",
                                            absl::Hex(owner), ", state ", state, ", reserved ",
                                            reserved, ")"));
  }
  out.owner_pid = OwnerPid(owner);
  out.owner_tid = OwnerTid(owner);
  out.state = owner == 0 ? WorkerState::kFree : static_cast<WorkerState>(state);
  out.claims = LoadAt<uint64_t>(bytes, offsetof(SlotLayout, claims));
  if (out.claims == 0) return absl::OkStatus();
  auto counter = [bytes](size_t field) { return LoadAt<uint64_t>(bytes, kCountersAt + field); };
  out.counters.accepted = counter(offsetof(SlotCounters, accepted));
  out.counters.closed = counter(offsetof(SlotCounters, closed));
  out.counters.requests = counter(offsetof(SlotCounters, requests));
  out.counters.bytes_in = counter(offsetof(SlotCounters, bytes_in));
  out.counters.bytes_out = counter(offsetof(SlotCounters, bytes_out));
  for (size_t e = 0; e < kErrorKindCount; ++e) {
    out.counters.errors[e] = counter(offsetof(SlotCounters, errors) + e * sizeof(uint64_t));
  }
  return absl::OkStatus();
}

// Adds a histogram's bytes (LatencyHistogram layout) into `out`. Any count is a valid count; sums
// wrap rather than trap, and the percentile code copes with any total.
void AddHistogram(const unsigned char* bytes, HistogramSnapshot& out) {
  for (size_t i = 0; i < HistogramBuckets::kCount; ++i) {
    const auto n =
        LoadAt<uint64_t>(bytes, offsetof(LatencyHistogram, buckets) + i * sizeof(uint64_t));
    out.buckets[i] += n;
    out.count += n;
  }
  out.sum_ns += LoadAt<uint64_t>(bytes, offsetof(LatencyHistogram, sum_ns));
}

}  // namespace

ScoreboardReader::ScoreboardReader(std::string path, int fd, const struct stat& st,
                                   const HeaderBytes& header)
    : path_(std::move(path)), fd_(fd), dev_(st.st_dev), ino_(st.st_ino), header_(header) {
  const unsigned char* h = header_.data();
  slot_count_ = LoadAt<uint32_t>(h, offsetof(ScoreboardHeader, slot_count));
  slots_offset_ = LoadAt<uint64_t>(h, offsetof(ScoreboardHeader, slots_offset));
  file_size_ = LoadAt<uint64_t>(h, offsetof(ScoreboardHeader, file_size));
  identity_.server_pid = LoadAt<int32_t>(h, offsetof(ScoreboardHeader, server_pid));
  identity_.start_time_unix_ns =
      LoadAt<uint64_t>(h, offsetof(ScoreboardHeader, start_time_unix_ns));
  identity_.generation = LoadAt<uint64_t>(h, offsetof(ScoreboardHeader, generation));
}

ScoreboardReader::ScoreboardReader(ScoreboardReader&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      dev_(other.dev_),
      ino_(other.ino_),
      header_(other.header_),
      slot_count_(other.slot_count_),
      slots_offset_(other.slots_offset_),
      file_size_(other.file_size_),
      identity_(other.identity_),
      protocol_(std::move(other.protocol_)),
      model_(std::move(other.model_)) {}

ScoreboardReader& ScoreboardReader::operator=(ScoreboardReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    dev_ = other.dev_;
    ino_ = other.ino_;
    header_ = other.header_;
    slot_count_ = other.slot_count_;
    slots_offset_ = other.slots_offset_;
    file_size_ = other.file_size_;
    identity_ = other.identity_;
    protocol_ = std::move(other.protocol_);
    model_ = std::move(other.model_);
  }
  return *this;
}

ScoreboardReader::~ScoreboardReader() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<ScoreboardReader> ScoreboardReader::Open(const std::string& path,
                                                        uid_t expected_owner) {
  const std::string what = absl::StrCat("open scoreboard ", path);
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ELOOP) {
    return absl::DataLossError(absl::StrCat(what, ": is a symbolic link"));
  }
  if (fd < 0) return base::SyscallError(what, errno);
  auto fail = [fd](absl::Status status) {
    close(fd);
    return status;
  };
  struct stat st;
  if (fstat(fd, &st) != 0) return fail(base::SyscallError(what, errno));
  if (!S_ISREG(st.st_mode)) {
    return fail(absl::DataLossError(absl::StrCat(what, ": is ", FileTypeName(st.st_mode))));
  }
  if (st.st_uid != expected_owner) {
    return fail(absl::DataLossError(
        absl::StrCat(what, ": owned by uid ", st.st_uid, ", expected uid ", expected_owner)));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < sizeof(ScoreboardHeader)) {
    return fail(
        absl::DataLossError(absl::StrCat(what, ": truncated or not a scoreboard: file is ", size,
                                         " bytes, a header alone is ", sizeof(ScoreboardHeader))));
  }
  HeaderBytes header;
  if (absl::Status s = PreadExactly(fd, header.data(), header.size(), 0, what); !s.ok()) {
    return fail(s);
  }
  if (absl::Status s = ValidateHeader(header.data(), size, what); !s.ok()) return fail(s);
  absl::StatusOr<std::string> protocol =
      NameAt(header.data(), offsetof(ScoreboardHeader, protocol), "protocol", what);
  if (!protocol.ok()) return fail(protocol.status());
  absl::StatusOr<std::string> model =
      NameAt(header.data(), offsetof(ScoreboardHeader, model), "model", what);
  if (!model.ok()) return fail(model.status());
  ScoreboardReader reader(path, fd, st, header);
  reader.protocol_ = *std::move(protocol);
  reader.model_ = *std::move(model);
  return reader;
}

absl::StatusOr<Snapshot> ScoreboardReader::Read(const ReadOptions& options) const {
  const std::string what = absl::StrCat("read scoreboard ", path_);
  struct stat st;
  if (fstat(fd_, &st) != 0) return base::SyscallError(what, errno);
  if (static_cast<uint64_t>(st.st_size) != file_size_) {
    return absl::DataLossError(absl::StrCat(what, ": truncated or resized: file is ", st.st_size,
                                            " bytes, header says ", file_size_));
  }
  HeaderBytes header;
  if (absl::Status s = PreadExactly(fd_, header.data(), header.size(), 0, what); !s.ok()) return s;
  if (std::memcmp(header.data(), header_.data(), kFixedHeaderBytes) != 0) {
    return absl::DataLossError(absl::StrCat(what, ": header rewritten since the file was opened"));
  }

  Snapshot snap;
  snap.identity = identity_;
  snap.protocol = protocol_;
  snap.model = model_;
  snap.taken_unix_ns = ClockNs(CLOCK_REALTIME);
  snap.taken_monotonic_ns = ClockNs(CLOCK_MONOTONIC);
  constexpr size_t kListenerAt = offsetof(ScoreboardHeader, listener);
  const auto listener_state =
      LoadAt<uint32_t>(header.data(), kListenerAt + offsetof(ListenerSection, state));
  snap.listener_state = listener_state <= static_cast<uint32_t>(ListenerState::kStopped)
                            ? static_cast<ListenerState>(listener_state)
                            : ListenerState::kStopped;
  snap.listener_refused_at_cap =
      LoadAt<uint64_t>(header.data(), kListenerAt + offsetof(ListenerSection, refused_at_cap));
  snap.listener_accept_errors =
      LoadAt<uint64_t>(header.data(), kListenerAt + offsetof(ListenerSection, accept_errors));
  snap.listener_refused_per_client =
      LoadAt<uint64_t>(header.data(), kListenerAt + offsetof(ListenerSection, refused_per_client));
  snap.listener_stalls =
      LoadAt<uint64_t>(header.data(), kListenerAt + offsetof(ListenerSection, stalls));
  for (size_t i = 0; i < kDropSockets; ++i) {
    const size_t at =
        kListenerAt + offsetof(ListenerSection, socket_drops) + i * sizeof(SocketDropsEntry);
    const auto seen = LoadAt<uint64_t>(header.data(), at + offsetof(SocketDropsEntry, seen));
    const auto start = LoadAt<uint64_t>(header.data(), at + offsetof(SocketDropsEntry, at_start));
    if (seen > start) snap.kernel_drops += seen - start;
  }
  snap.worker_cap = LoadAt<uint32_t>(header.data(), offsetof(ScoreboardHeader, worker_cap));

  // slot_count_ and slots_offset_ were validated against the file size at Open(), and the size
  // was checked again above: every offset below is inside the file (a truncation racing with
  // this loop shows as a short read, not a fault).
  std::vector<unsigned char> buffer(sizeof(SlotLayout));
  snap.slots.resize(slot_count_);
  if (options.per_slot_latency) snap.slot_latency.resize(slot_count_);
  for (uint32_t i = 0; i < slot_count_; ++i) {
    const uint64_t at = slots_offset_ + uint64_t{i} * sizeof(SlotLayout);
    if (absl::Status s = PreadExactly(fd_, buffer.data(), kSlotPrefixBytes, at, what); !s.ok()) {
      return s;
    }
    SlotSnapshot& out = snap.slots[i];
    if (absl::Status s = ParseSlotPrefix(buffer.data(), i, out, what); !s.ok()) return s;
    ++snap.workers_by_state[static_cast<size_t>(out.state)];
    if (out.claims == 0) continue;  // never owned: every counter is still zero
    snap.totals.Add(out.counters);
    if (absl::Status s = PreadExactly(fd_, buffer.data(), sizeof(LatencyHistogram),
                                      at + offsetof(SlotLayout, latency), what);
        !s.ok()) {
      return s;
    }
    if (options.per_slot_latency) {
      AddHistogram(buffer.data(), snap.slot_latency[i]);
      snap.latency.Add(snap.slot_latency[i]);
    } else {
      AddHistogram(buffer.data(), snap.latency);
    }
  }
  snap.totals.errors[static_cast<size_t>(ErrorKind::kRefusedAtCap)] += snap.listener_refused_at_cap;
  snap.totals.errors[static_cast<size_t>(ErrorKind::kRefusedPerClient)] +=
      snap.listener_refused_per_client;
  snap.totals.errors[static_cast<size_t>(ErrorKind::kDropped)] += snap.kernel_drops;
  return snap;
}

bool ScoreboardReader::IsReplaced() const {
  struct stat st;
  if (lstat(path_.c_str(), &st) != 0) return true;
  return st.st_dev != dev_ || st.st_ino != ino_;
}

}  // namespace corral::stats
