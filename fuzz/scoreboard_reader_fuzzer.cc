// Fuzzes the agent's scoreboard reader (servers/stats/scoreboard_reader.h) on a file made of the
// input bytes: the scoreboard is written by corral-server, a process the agent supervises but
// need not trust. Two stages: the file as opened (Open() refuses what it cannot trust with
// DATA_LOSS), then, on a file it accepts, the file patched (and maybe cut) under the open reader,
// as a writer changing it afterwards would. Every Read() either refuses with DATA_LOSS or
// reports every slot once.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>

#include "fuzz/fuzz_check.h"
#include "servers/stats/scoreboard_reader.h"

namespace corral::stats {
namespace {

// One file per process, rewritten for every input: in /dev/shm when there is one, since on a
// disk-backed /tmp the rewrite dominates (276 inputs/s there against 8,400 in /dev/shm here).
const std::string& ScratchPath() {
  static const std::string* path = [] {
    std::string dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    dir += "/corral-fuzz-scoreboard.XXXXXX";
    FUZZ_CHECK(::mkdtemp(dir.data()) != nullptr, "mkdtemp");
    auto* p = new std::string(dir + "/scoreboard");
    std::atexit([] {
      ::unlink(ScratchPath().c_str());
      ::rmdir(ScratchPath().substr(0, ScratchPath().rfind('/')).c_str());
    });
    return p;
  }();
  return *path;
}

void WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FUZZ_CHECK(fd >= 0, path);
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    FUZZ_CHECK(n > 0, path);
    data += n;
    size -= static_cast<size_t>(n);
  }
  ::close(fd);
}

void CheckSnapshot(const ScoreboardReader& reader, const Snapshot& snap, bool per_slot) {
  FUZZ_CHECK(snap.slots.size() == reader.slot_count(), reader.path());
  FUZZ_CHECK(snap.slot_latency.size() == (per_slot ? snap.slots.size() : 0), reader.path());
  const uint64_t by_state =
      std::accumulate(snap.workers_by_state.begin(), snap.workers_by_state.end(), uint64_t{0});
  FUZZ_CHECK(by_state == snap.slots.size(), reader.path());
  for (size_t i = 0; i < snap.slots.size(); ++i) {
    FUZZ_CHECK(snap.slots[i].index == i, reader.path());
  }
  FUZZ_CHECK(snap.protocol.size() <= kNameBytes && snap.model.size() <= kNameBytes, reader.path());
}

// Reads both ways; each read is a full snapshot or DATA_LOSS, never anything else.
void ReadBothWays(const ScoreboardReader& reader) {
  for (bool per_slot : {false, true}) {
    absl::StatusOr<Snapshot> snap = reader.Read({.per_slot_latency = per_slot});
    if (snap.ok()) {
      CheckSnapshot(reader, *snap, per_slot);
    } else {
      FUZZ_CHECK(snap.status().code() == absl::StatusCode::kDataLoss, snap.status().ToString());
    }
  }
}

}  // namespace
}  // namespace corral::stats

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::stats;
  const std::string& path = ScratchPath();
  // Stage 1: the whole input is the file as the reader opens it.
  WriteFile(path, data, size);
  absl::StatusOr<ScoreboardReader> reader = ScoreboardReader::Open(path);
  if (!reader.ok()) {
    FUZZ_CHECK(reader.status().code() == absl::StatusCode::kDataLoss, reader.status().ToString());
    return 0;
  }
  FUZZ_CHECK(reader->slot_count() >= 1 && reader->slot_count() <= kMaxSlots, path);
  FUZZ_CHECK(!reader->IsReplaced(), path);
  corral::stats::ReadBothWays(*reader);

  // Stage 2: the writer changes the file under the open reader. The input's last bytes (up to
  // 64) are written at an offset taken from the 4 bytes before them; an odd last byte also cuts
  // the file there.
  if (size < 8) return 0;
  const size_t patch = std::min<size_t>(64, (size - 4) / 2);
  uint32_t at = 0;
  std::memcpy(&at, data + size - patch - 4, sizeof at);
  const off_t offset = static_cast<off_t>(at % size);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  FUZZ_CHECK(fd >= 0, path);
  FUZZ_CHECK(::pwrite(fd, data + size - patch, patch, offset) == static_cast<ssize_t>(patch), path);
  if (data[size - 1] & 1) FUZZ_CHECK(::ftruncate(fd, offset) == 0, path);
  ::close(fd);
  corral::stats::ReadBothWays(*reader);
  return 0;
}
