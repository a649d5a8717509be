#include "servers/stats/scoreboard_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "servers/stats/interval.h"
#include "servers/stats/scoreboard.h"
#include "tests/servers/stats/temp_dir.h"

namespace corral::stats {
namespace {

using ::testing::HasSubstr;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string RealScoreboardBytes(const TempDir& dir) {
  ScoreboardOptions o;
  o.path = dir.File("real");
  o.slot_count = 2;
  EXPECT_TRUE(Scoreboard::Create(o).ok());
  return ReadFile(o.path);
}

TEST(ScoreboardReaderTest, MissingFileIsNotFound) {
  TempDir dir;
  absl::Status s = ScoreboardReader::Open(dir.File("absent")).status();
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_EQ(s.message(), "open scoreboard " + dir.File("absent") + ": no such file or directory");
}

TEST(ScoreboardReaderTest, FileTooSmallForAHeaderIsRefused) {
  TempDir dir;
  WriteFile(dir.File("tiny"), "CORRALSB");
  absl::Status s = ScoreboardReader::Open(dir.File("tiny")).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("truncated or not a scoreboard: file is 8 bytes"));
}

TEST(ScoreboardReaderTest, ForeignFileIsRefused) {
  TempDir dir;
  WriteFile(dir.File("foreign"), std::string(64 * 1024, 'x'));
  absl::Status s = ScoreboardReader::Open(dir.File("foreign")).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("not a corral scoreboard (magic 0x7878787878787878)"));
}

TEST(ScoreboardReaderTest, TruncatedScoreboardIsRefused) {
  TempDir dir;
  const std::string real = RealScoreboardBytes(dir);
  WriteFile(dir.File("cut"), real.substr(0, real.size() - 100));
  absl::Status s = ScoreboardReader::Open(dir.File("cut")).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(),
              HasSubstr(absl::StrCat("truncated or resized: file is ", real.size() - 100,
                                     " bytes, header says ", real.size())));
}

TEST(ScoreboardReaderTest, OtherLayoutVersionOrBuildIsRefused) {
  TempDir dir;
  const std::string real = RealScoreboardBytes(dir);

  std::string v99 = real;
  const uint32_t version = 99;
  std::memcpy(v99.data() + offsetof(ScoreboardHeader, layout_version), &version, sizeof(version));
  WriteFile(dir.File("v99"), v99);
  absl::Status s = ScoreboardReader::Open(dir.File("v99")).status();
  EXPECT_TRUE(absl::IsDataLoss(s));
  EXPECT_THAT(s.message(),
              HasSubstr(absl::StrCat("layout version 99, this build reads ", kLayoutVersion)));

  std::string other_build = real;
  const uint32_t slot_size = sizeof(SlotLayout) + 64;
  std::memcpy(other_build.data() + offsetof(ScoreboardHeader, slot_size), &slot_size,
              sizeof(slot_size));
  WriteFile(dir.File("other"), other_build);
  s = ScoreboardReader::Open(dir.File("other")).status();
  EXPECT_TRUE(absl::IsDataLoss(s));
  EXPECT_THAT(s.message(), HasSubstr("written by a different build"));
}

TEST(ScoreboardReaderTest, PerSlotLatencyIsCopiedOnlyWhenAsked) {
  TempDir dir;
  ScoreboardOptions o;
  o.path = dir.File("sb");
  o.slot_count = 3;
  absl::StatusOr<Scoreboard> sb = Scoreboard::Create(o);
  ASSERT_TRUE(sb.ok());
  absl::StatusOr<SlotWriter> a = sb->ClaimSlot();
  absl::StatusOr<SlotWriter> b = sb->ClaimSlot();
  a->OnRequest(1'000);
  b->OnRequest(9'000'000);
  b->OnRequest(9'000'000);
  a->SetState(WorkerState::kIdle);
  b->SetState(WorkerState::kWriting);

  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(o.path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->slot_count(), 3u);
  EXPECT_TRUE(r->Read().value().slot_latency.empty());
  const Snapshot snap = r->Read({.per_slot_latency = true}).value();
  ASSERT_EQ(snap.slot_latency.size(), 3u);
  EXPECT_EQ(snap.slot_latency[0].count, 1u);
  EXPECT_EQ(snap.slot_latency[1].count, 2u);
  EXPECT_EQ(snap.slot_latency[2].count, 0u);
  EXPECT_NEAR(snap.slot_latency[0].Max(), 1'000.0, 10.0);
  EXPECT_NEAR(snap.slot_latency[1].Max(), 9'000'000.0, 90'000.0);
  EXPECT_EQ(snap.latency.count, 3u);
  EXPECT_EQ(snap.idle_workers(), 1u);
  EXPECT_EQ(snap.busy_workers(), 1u);
  EXPECT_EQ(snap.free_slots(), 1u);
  EXPECT_EQ(snap.workers_by_state[static_cast<size_t>(WorkerState::kWriting)], 1u);
}

TEST(ScoreboardReaderTest, ReaderMapsReadOnlyAndNeedsNoWriteAccess) {
  TempDir dir;
  ScoreboardOptions o;
  o.path = dir.File("sb");
  o.slot_count = 1;
  ASSERT_TRUE(Scoreboard::Create(o).ok());
  ASSERT_EQ(chmod(o.path.c_str(), 0400), 0);
  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(o.path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->Read().value().slots.size(), 1u);
}

// The scoreboard the next tests attack: three slots, two of them used.
// Its writers are released at once: the test process then never stores into the mapping of a
// file the tests truncate (that store would be the writer's SIGBUS, not the reader's).
class LiveBoard {
 public:
  explicit LiveBoard(const std::string& path) {
    ScoreboardOptions o;
    o.path = path;
    o.slot_count = 3;
    o.protocol = "http";
    o.model = "thread";
    absl::StatusOr<Scoreboard> created = Scoreboard::Create(o);
    EXPECT_TRUE(created.ok()) << created.status();
    board_.emplace(*std::move(created));
    SlotWriter a = *board_->ClaimSlot();
    SlotWriter b = *board_->ClaimSlot();
    a.OnAccept();
    a.OnRequest(5'000);
    b.OnRequest(7'000'000);
  }

 private:
  std::optional<Scoreboard> board_;
};

void PwriteOrDie(const std::string& path, const void* bytes, size_t size, off_t offset) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, bytes, size, offset), static_cast<ssize_t>(size));
  close(fd);
}

TEST(ScoreboardReaderTest, SlotCountRewrittenAfterOpenIsRefusedNotFollowed) {
  // Issue 19: 1,000,000 written at byte 20 (slot_count) made the next read index far past the
  // mapping: SIGSEGV in the agent.
  TempDir dir;
  LiveBoard live(dir.File("sb"));
  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(dir.File("sb"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->Read().ok());
  const uint32_t huge = 1'000'000;
  static_assert(offsetof(ScoreboardHeader, slot_count) == 20);
  PwriteOrDie(dir.File("sb"), &huge, sizeof huge, 20);
  absl::StatusOr<Snapshot> snap = r->Read();
  EXPECT_TRUE(absl::IsDataLoss(snap.status())) << snap.status();
  EXPECT_THAT(snap.status().message(), HasSubstr("header rewritten since the file was opened"));
  EXPECT_EQ(r->slot_count(), 3u);  // what was validated stays what is used
  // A fresh open sees the header does not match the file's size.
  absl::Status reopened = ScoreboardReader::Open(dir.File("sb")).status();
  EXPECT_TRUE(absl::IsDataLoss(reopened)) << reopened;
  EXPECT_THAT(reopened.message(), HasSubstr("corrupt header (1000000 slots"));
}

TEST(ScoreboardReaderTest, TruncatedAfterOpenIsReportedInsteadOfSigbus) {
  TempDir dir;
  LiveBoard live(dir.File("sb"));
  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(dir.File("sb"));
  ASSERT_TRUE(r.ok()) << r.status();
  for (off_t size : {off_t{4096}, off_t{100}, off_t{0}}) {
    ASSERT_EQ(truncate(dir.File("sb").c_str(), size), 0);
    absl::StatusOr<Snapshot> snap = r->Read();
    EXPECT_TRUE(absl::IsDataLoss(snap.status())) << snap.status();
    EXPECT_THAT(snap.status().message(),
                HasSubstr(absl::StrCat("truncated or resized: file is ", size, " bytes")));
  }
}

TEST(ScoreboardReaderTest, ImpossibleSlotValuesAreRefused) {
  TempDir dir;
  LiveBoard live(dir.File("sb"));
  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(dir.File("sb"));
  ASSERT_TRUE(r.ok()) << r.status();
  const off_t slot1 = sizeof(ScoreboardHeader) + sizeof(SlotLayout);
  const uint32_t state = 77;
  PwriteOrDie(dir.File("sb"), &state, sizeof state, slot1 + offsetof(SlotLayout, state));
  absl::StatusOr<Snapshot> snap = r->Read();
  EXPECT_TRUE(absl::IsDataLoss(snap.status())) << snap.status();
  EXPECT_THAT(snap.status().message(), HasSubstr("slot 1 is corrupt"));
  EXPECT_THAT(snap.status().message(), HasSubstr("state 77"));
}

TEST(ScoreboardReaderTest, SymlinkFifoDirectoryAndOtherOwnerAreRefusedWithoutBlocking) {
  TempDir dir;
  LiveBoard live(dir.File("real"));
  ASSERT_EQ(symlink(dir.File("real").c_str(), dir.File("link").c_str()), 0);
  absl::Status s = ScoreboardReader::Open(dir.File("link")).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("is a symbolic link"));

  // Without O_NONBLOCK, opening a FIFO that no one writes blocks forever (the agent's loop).
  ASSERT_EQ(mkfifo(dir.File("fifo").c_str(), 0600), 0);
  s = ScoreboardReader::Open(dir.File("fifo")).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("is a FIFO"));

  ASSERT_EQ(mkdir(dir.File("dir").c_str(), 0700), 0);
  s = ScoreboardReader::Open(dir.File("dir")).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("is a directory"));

  s = ScoreboardReader::Open(dir.File("real"), geteuid() + 1).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("owned by uid ", geteuid(), ", expected uid ",
                                                  geteuid() + 1)));
  EXPECT_TRUE(ScoreboardReader::Open(dir.File("real")).ok());
}

TEST(ScoreboardReaderTest, GrownFileIsRefused) {
  TempDir dir;
  LiveBoard live(dir.File("sb"));
  const off_t size = static_cast<off_t>(ScoreboardFileSize(3));
  ASSERT_EQ(truncate(dir.File("sb").c_str(), size + 4096), 0);
  absl::Status s = ScoreboardReader::Open(dir.File("sb")).status();
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("truncated or resized"));
}

// Uses everything a snapshot offers, as the agent does (percentiles, rates, per-slot detail).
void Consume(const Snapshot& snap) {
  IntervalStats since = ComputeSinceStart(snap);
  IntervalStats again = ComputeInterval(snap, snap);
  EXPECT_LE(since.free_slots, snap.slots.size());
  EXPECT_EQ(again.slot_rates.size(), snap.slots.size());
  for (const HistogramSnapshot& h : snap.slot_latency) (void)Summarize(h);
}

// The reader on random bytes: random files, a real file with random parts overwritten, cut at a
// random length, or rewritten while a reader has it open. Nothing may crash or hang; a result is
// either a snapshot bounded by the validated header or DataLoss; and a rewrite of the header's
// fixed part after open is always refused.
TEST(ScoreboardReaderTest, RandomBytesNeverCrashTheReader) {
  TempDir dir;
  const std::string real = RealScoreboardBytes(dir);
  std::mt19937_64 rng(20261207);
  auto random_bytes = [&rng](size_t n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    return bytes;
  };
  auto below = [&rng](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  int opened = 0;
  int refused_after_open = 0;
  for (int round = 0; round < 3000; ++round) {
    const std::string path = dir.File(absl::StrCat("f", round % 4));
    std::string bytes = real;
    switch (round % 4) {
      case 0:  // entirely random, any length up to a bit over a real file
        bytes = random_bytes(below(real.size() + 512));
        break;
      case 1: {  // a real file with one random stretch
        const size_t at = below(bytes.size());
        const std::string junk = random_bytes(1 + below(std::min<size_t>(256, bytes.size() - at)));
        bytes.replace(at, junk.size(), junk);
        break;
      }
      case 2:  // a real file cut short
        bytes.resize(below(bytes.size()));
        break;
      case 3:  // intact: attacked below, after open
        break;
    }
    WriteFile(path, bytes);
    absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(path);
    if (!r.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
      continue;
    }
    ++opened;
    EXPECT_LE(r->slot_count(), kMaxSlots);
    if (round % 4 == 3) {
      // Rewrite part of the open file, or truncate it, as a hostile server would.
      const size_t at = below(bytes.size());
      const bool header = at < offsetof(ScoreboardHeader, listener);
      std::string junk = random_bytes(1 + below(std::min<size_t>(64, bytes.size() - at)));
      if (junk[0] == bytes[at]) junk[0] = static_cast<char>(~junk[0]);  // a real change
      if (rng() % 8 == 0) {
        ASSERT_EQ(truncate(path.c_str(), static_cast<off_t>(at)), 0);
      } else {
        PwriteOrDie(path, junk.data(), junk.size(), static_cast<off_t>(at));
      }
      absl::StatusOr<Snapshot> snap = r->Read({.per_slot_latency = rng() % 2 == 0});
      if (header) {
        EXPECT_FALSE(snap.ok()) << "byte " << at << " of the header changed";
      }
      if (!snap.ok()) {
        EXPECT_TRUE(absl::IsDataLoss(snap.status())) << snap.status();
        ++refused_after_open;
        continue;
      }
      EXPECT_EQ(snap->slots.size(), r->slot_count());
      Consume(*snap);
      continue;
    }
    absl::StatusOr<Snapshot> snap = r->Read({.per_slot_latency = true});
    if (!snap.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(snap.status())) << snap.status();
      continue;
    }
    EXPECT_EQ(snap->slots.size(), r->slot_count());
    Consume(*snap);
  }
  // The rounds did exercise both paths.
  EXPECT_GT(opened, 500);
  EXPECT_GT(refused_after_open, 50);
}

TEST(ScoreboardReaderTest, HostileWriterRacingReadsNeverCrashesTheReader) {
  // Random writes and truncations while another thread reads in a loop: a mapping-based reader
  // dies of SIGBUS here; this one reports DataLoss and carries on.
  TempDir dir;
  const std::string path = dir.File("sb");
  LiveBoard live(path);
  const uint64_t size = ScoreboardFileSize(3);
  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status();
  std::atomic<bool> done = false;
  std::thread attacker([&] {
    std::mt19937_64 rng(7);
    const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    for (int i = 0; i < 20'000; ++i) {
      if (i % 16 == 0) {
        (void)!ftruncate(fd, static_cast<off_t>(rng() % (size + 1)));
      } else {
        const uint64_t word = rng();
        (void)!pwrite(fd, &word, sizeof word, static_cast<off_t>(rng() % size));
      }
    }
    close(fd);
    done = true;
  });
  int reads = 0;
  int refused = 0;
  while (!done || reads == 0) {
    absl::StatusOr<Snapshot> snap = r->Read();
    ++reads;
    if (!snap.ok()) {
      EXPECT_TRUE(absl::IsDataLoss(snap.status())) << snap.status();
      ++refused;
      continue;
    }
    EXPECT_EQ(snap->slots.size(), 3u);
    Consume(*snap);
  }
  attacker.join();
  EXPECT_GT(reads, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace corral::stats
