#include "servers/stats/scoreboard.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "servers/stats/scoreboard_reader.h"
#include "tests/servers/stats/temp_dir.h"

namespace corral::stats {
namespace {

using ::testing::HasSubstr;

ScoreboardOptions Options(const std::string& path, uint32_t slots = 4) {
  ScoreboardOptions o;
  o.path = path;
  o.slot_count = slots;
  o.protocol = "http";
  o.model = "fork";
  return o;
}

uint64_t NowUnixNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

TEST(ScoreboardTest, CreatePublishesACompleteFile) {
  TempDir dir;
  const uint64_t before = NowUnixNs();
  absl::StatusOr<Scoreboard> sb = Scoreboard::Create(Options(dir.File("scoreboard"), 8));
  ASSERT_TRUE(sb.ok()) << sb.status();
  EXPECT_EQ(sb->slot_count(), 8u);
  EXPECT_EQ(sb->generation(), 1u);

  absl::StatusOr<ScoreboardReader> reader = ScoreboardReader::Open(dir.File("scoreboard"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  const Snapshot snap = reader->Read().value();
  EXPECT_EQ(snap.identity.server_pid, getpid());
  EXPECT_EQ(snap.identity.generation, 1u);
  EXPECT_GE(snap.identity.start_time_unix_ns, before);
  EXPECT_LE(snap.identity.start_time_unix_ns, NowUnixNs());
  EXPECT_EQ(snap.protocol, "http");
  EXPECT_EQ(snap.model, "fork");
  EXPECT_EQ(snap.listener_state, ListenerState::kStarting);
  ASSERT_EQ(snap.slots.size(), 8u);
  EXPECT_EQ(snap.free_slots(), 8u);
  EXPECT_EQ(snap.totals, CounterSet{});
  EXPECT_EQ(snap.latency.count, 0u);
  // The file exists exactly once: no temporary left beside it.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "scoreboard");
  }
  EXPECT_EQ(entries, 1);
  struct stat st;
  ASSERT_EQ(stat(dir.File("scoreboard").c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), ScoreboardFileSize(8));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ScoreboardTest, EveryBlockIsAllocatedAtCreation) {
  // A hole would get its block on the first store through the mapping, which on a full
  // filesystem is a SIGBUS in a worker: creation allocates everything, so it fails instead.
  TempDir dir;
  absl::StatusOr<Scoreboard> sb = Scoreboard::Create(Options(dir.File("sb"), 64));  // 1 MiB
  ASSERT_TRUE(sb.ok());
  struct stat st;
  ASSERT_EQ(stat(dir.File("sb").c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), ScoreboardFileSize(64));
  EXPECT_GE(static_cast<uint64_t>(st.st_blocks) * 512, ScoreboardFileSize(64))
      << "the file must not be sparse";
}

// Runs `body` in a child process inside a private mount namespace where `dir` is a fresh tmpfs of
// `size_kib`, and returns what the child wrote to its pipe ("SKIP ..." when mounts are not
// possible here). The child dying of a signal is a test failure, reported with the signal.
std::string InChildWithSmallTmpfs(const std::string& dir, int size_kib,
                                  const std::function<std::string()>& body) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    const std::string options = absl::StrCat("size=", size_kib, "k");
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      out = absl::StrCat("SKIP cannot mount a tmpfs here: ", strerror(errno));
    } else {
      out = body();
    }
    (void)!write(fds[1], out.data(), out.size());
    _exit(0);
  }
  close(fds[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
  return got;
}

TEST(ScoreboardTest, FullFilesystemFailsCreateWithTheReasonInsteadOfSigbus) {
  TempDir dir;
  const std::string path = dir.File("scoreboard");
  const std::string got = InChildWithSmallTmpfs(dir.path(), 256, [&] {
    // Fill the filesystem, as a disk full of logs would be.
    const int filler = open(dir.File("filler").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    char block[4096] = {};
    while (write(filler, block, sizeof block) > 0) {
    }
    close(filler);
    absl::StatusOr<Scoreboard> sb = Scoreboard::Create(Options(path, 4));
    return sb.ok() ? std::string("created") : std::string(sb.status().message());
  });
  if (absl::StartsWith(got, "SKIP")) GTEST_SKIP() << got;
  EXPECT_EQ(got, "create scoreboard " + path + ": no space left on device");
}

size_t OpenDescriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST(ScoreboardTest, WriterHoldsNoDescriptorAndReaderOneUntilDestroyed) {
  TempDir dir;
  const size_t before = OpenDescriptors();
  absl::StatusOr<Scoreboard> sb = Scoreboard::Create(Options(dir.File("sb")));
  ASSERT_TRUE(sb.ok());
  ASSERT_TRUE(Scoreboard::Create(Options(dir.File("sb"))).ok());  // reads the old generation
  EXPECT_EQ(OpenDescriptors(), before);
  {
    // The reader preads instead of mapping (a mapping would fault on a truncated file).
    absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(dir.File("sb"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(OpenDescriptors(), before + 1);
  }
  EXPECT_EQ(OpenDescriptors(), before);
}

TEST(ScoreboardTest, RecreatingThePathBumpsTheGenerationAndReplacesTheFile) {
  TempDir dir;
  const std::string path = dir.File("scoreboard");
  absl::StatusOr<Scoreboard> first = Scoreboard::Create(Options(path));
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<ScoreboardReader> old_reader = ScoreboardReader::Open(path);
  ASSERT_TRUE(old_reader.ok());
  EXPECT_FALSE(old_reader->IsReplaced());
  absl::StatusOr<SlotWriter> w = first->ClaimSlot();
  ASSERT_TRUE(w.ok());
  w->OnRequest(1000);

  absl::StatusOr<Scoreboard> second = Scoreboard::Create(Options(path));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->generation(), 2u);
  EXPECT_TRUE(old_reader->IsReplaced());
  // The old reader still sees the previous run's final counts.
  EXPECT_EQ(old_reader->Read().value().totals.requests, 1u);
  absl::StatusOr<ScoreboardReader> new_reader = ScoreboardReader::Open(path);
  ASSERT_TRUE(new_reader.ok());
  EXPECT_EQ(new_reader->identity().generation, 2u);
  EXPECT_EQ(new_reader->Read().value().totals.requests, 0u);

  ScoreboardOptions explicit_generation = Options(path);
  explicit_generation.generation = 77;
  ASSERT_EQ(Scoreboard::Create(explicit_generation)->generation(), 77u);
  EXPECT_TRUE(new_reader->IsReplaced());
}

TEST(ScoreboardTest, CreateRejectsBadOptionsWithActionableMessages) {
  TempDir dir;
  ScoreboardOptions zero = Options(dir.File("sb"), 0);
  absl::Status s = Scoreboard::Create(zero).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(s.message(), HasSubstr("create scoreboard " + dir.File("sb") + ": slot count 0"));

  ScoreboardOptions long_name = Options(dir.File("sb"));
  long_name.protocol = std::string(40, 'p');
  EXPECT_TRUE(absl::IsInvalidArgument(Scoreboard::Create(long_name).status()));

  absl::Status missing_dir = Scoreboard::Create(Options(dir.File("nope/sb"))).status();
  EXPECT_TRUE(absl::IsNotFound(missing_dir)) << missing_dir;
  EXPECT_THAT(missing_dir.message(), HasSubstr("create scoreboard " + dir.File("nope/sb")));
  EXPECT_THAT(missing_dir.message(), HasSubstr("no such file or directory"));
}

TEST(ScoreboardTest, WriterCountsAreWhatTheReaderSees) {
  TempDir dir;
  absl::StatusOr<Scoreboard> sb = Scoreboard::Create(Options(dir.File("sb")));
  ASSERT_TRUE(sb.ok());
  absl::StatusOr<SlotWriter> w = sb->ClaimSlot();
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->slot_index(), 0u);
  for (int i = 0; i < 3; ++i) w->OnAccept();
  w->OnClose();
  w->SetState(WorkerState::kReading);
  w->OnRequest(2'000);
  w->OnRequest(4'000'000);
  w->AddBytesIn(100);
  w->AddBytesOut(12345);
  w->OnError(ErrorKind::kTimeout);
  w->OnError(ErrorKind::kProtocol);
  w->OnError(ErrorKind::kProtocol);
  sb->OnRefusedAtCap();
  sb->OnAcceptError();
  sb->OnStall();
  sb->OnStall();
  sb->SetListenerState(ListenerState::kAccepting);

  const Snapshot snap = ScoreboardReader::Open(dir.File("sb"))->Read().value();
  const SlotSnapshot& slot = snap.slots[0];
  EXPECT_EQ(snap.listener_stalls, 2u);
  EXPECT_EQ(slot.owner_pid, getpid());
  EXPECT_EQ(slot.owner_tid, gettid());
  EXPECT_EQ(slot.state, WorkerState::kReading);
  EXPECT_EQ(slot.claims, 1u);
  EXPECT_EQ(slot.counters.accepted, 3u);
  EXPECT_EQ(slot.counters.closed, 1u);
  EXPECT_EQ(slot.counters.active(), 2u);
  EXPECT_EQ(slot.counters.requests, 2u);
  EXPECT_EQ(slot.counters.bytes_in, 100u);
  EXPECT_EQ(slot.counters.bytes_out, 12345u);
  EXPECT_EQ(slot.counters.error(ErrorKind::kTimeout), 1u);
  EXPECT_EQ(slot.counters.error(ErrorKind::kProtocol), 2u);
  EXPECT_EQ(slot.counters.error(ErrorKind::kReset), 0u);
  EXPECT_EQ(snap.totals.error(ErrorKind::kRefusedAtCap), 1u);  // from the listener section
  EXPECT_EQ(snap.listener_accept_errors, 1u);
  EXPECT_EQ(snap.listener_state, ListenerState::kAccepting);
  EXPECT_EQ(snap.latency.count, 2u);
  EXPECT_EQ(snap.latency.sum_ns, 4'002'000u);
  EXPECT_EQ(snap.busy_workers(), 1u);
  EXPECT_EQ(snap.idle_workers(), 0u);
  EXPECT_EQ(snap.free_slots(), 3u);
  for (size_t i = 1; i < snap.slots.size(); ++i) {
    EXPECT_EQ(snap.slots[i].state, WorkerState::kFree);
    EXPECT_EQ(snap.slots[i].owner_pid, 0);
    EXPECT_EQ(snap.slots[i].counters, CounterSet{});
  }
}

TEST(ScoreboardTest, ClaimsAreDistinctUntilExhaustedAndReleaseFreesTheSlot) {
  TempDir dir;
  absl::StatusOr<Scoreboard> sb = Scoreboard::Create(Options(dir.File("sb"), 3));
  ASSERT_TRUE(sb.ok());
  std::vector<SlotWriter> writers;
  for (uint32_t i = 0; i < 3; ++i) {
    absl::StatusOr<SlotWriter> w = sb->ClaimSlot();
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(w->slot_index(), i);
    writers.push_back(*std::move(w));
  }
  absl::Status full = sb->ClaimSlot().status();
  EXPECT_TRUE(absl::IsResourceExhausted(full));
  EXPECT_THAT(full.message(), HasSubstr("all 3 slots are in use"));

  writers[1].Release();
  EXPECT_FALSE(writers[1].attached());
  writers[1].Release();  // idempotent
  absl::StatusOr<SlotWriter> again = sb->ClaimSlot();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->slot_index(), 1u);
}

TEST(ScoreboardTest, SetStateCannotFreeASlotBehindTheOwnersBack) {
  TempDir dir;
  absl::StatusOr<Scoreboard> sb = Scoreboard::Create(Options(dir.File("sb"), 1));
  absl::StatusOr<SlotWriter> w = sb->ClaimSlot();
  ASSERT_TRUE(w.ok());
  w->SetState(WorkerState::kKeepAlive);
  w->SetState(WorkerState::kFree);
  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(dir.File("sb"));
  EXPECT_EQ(r->Read().value().slots[0].state, WorkerState::kKeepAlive);
  EXPECT_FALSE(sb->ClaimSlot().ok());
}

TEST(ScoreboardTest, AReusedSlotKeepsItsCounts) {
  TempDir dir;
  absl::StatusOr<Scoreboard> sb = Scoreboard::Create(Options(dir.File("sb"), 1));
  {
    absl::StatusOr<SlotWriter> w = sb->ClaimSlot();
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 5; ++i) w->OnRequest(1'000);
    w->AddBytesIn(500);
  }  // destroyed: released
  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(dir.File("sb"));
  EXPECT_EQ(r->Read().value().slots[0].state, WorkerState::kFree);
  {
    absl::StatusOr<SlotWriter> w = sb->ClaimSlot();
    ASSERT_TRUE(w.ok());
    EXPECT_EQ(w->slot_index(), 0u);
    for (int i = 0; i < 3; ++i) w->OnRequest(1'000);
    w->AddBytesIn(7);
    const Snapshot snap = r->Read().value();
    EXPECT_EQ(snap.slots[0].claims, 2u);
    EXPECT_EQ(snap.slots[0].state, WorkerState::kIdle);
    EXPECT_EQ(snap.slots[0].counters.requests, 8u);
    EXPECT_EQ(snap.slots[0].counters.bytes_in, 507u);
    EXPECT_EQ(snap.latency.count, 8u);
  }
}

// A child killed by its own fault mid-connection (a handler plugin's SIGSEGV) counts as a
// protocol error of that connection, and the connection as closed; an idle one counts nothing.
TEST(ScoreboardTest, ReclaimingACrashedChildCountsItsConnectionAsAnError) {
  TempDir dir;
  absl::StatusOr<Scoreboard> sb = Scoreboard::Create(Options(dir.File("sb"), 3));
  ASSERT_TRUE(sb.ok());
  pid_t children[2];
  for (int busy = 0; busy < 2; ++busy) {
    children[busy] = fork();
    ASSERT_GE(children[busy], 0);
    if (children[busy] == 0) {
      absl::StatusOr<SlotWriter> w = sb->ClaimSlot();
      if (!w.ok()) _exit(2);
      w->OnAccept();
      w->SetState(busy ? WorkerState::kReading : WorkerState::kIdle);
      _exit(0);  // as if killed: no destructor, no close counted
    }
    int status = 0;
    ASSERT_EQ(waitpid(children[busy], &status, 0), children[busy]);
  }
  EXPECT_EQ(sb->ReclaimSlotsOf(children[0], /*crashed=*/true), 1);
  EXPECT_EQ(sb->ReclaimSlotsOf(children[1], /*crashed=*/true), 1);
  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(dir.File("sb"));
  Snapshot snap = r->Read().value();
  EXPECT_EQ(snap.totals.error(ErrorKind::kProtocol), 1u);
  EXPECT_EQ(snap.totals.accepted, 2u);
  EXPECT_EQ(snap.totals.closed, 1u);
}

TEST(ScoreboardTest, ParentReclaimsTheSlotOfAChildThatDiedWithoutReleasing) {
  TempDir dir;
  absl::StatusOr<Scoreboard> sb = Scoreboard::Create(Options(dir.File("sb"), 2));
  ASSERT_TRUE(sb.ok());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<SlotWriter> w = sb->ClaimSlot();
    if (!w.ok() || w->slot_index() != 0) _exit(2);
    for (int i = 0; i < 10; ++i) w->OnRequest(3'000);
    w->AddBytesOut(1000);
    w->SetState(WorkerState::kWriting);
    _exit(0);  // "crash": no destructor, the slot stays owned
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  absl::StatusOr<ScoreboardReader> r = ScoreboardReader::Open(dir.File("sb"));
  Snapshot snap = r->Read().value();
  EXPECT_EQ(snap.slots[0].owner_pid, child);
  EXPECT_EQ(snap.slots[0].state, WorkerState::kWriting);

  EXPECT_EQ(sb->ReclaimSlotsOf(getpid()), 0);  // not ours
  EXPECT_EQ(sb->ReclaimSlotsOf(child), 1);
  EXPECT_EQ(sb->ReclaimSlotsOf(child), 0);
  snap = r->Read().value();
  EXPECT_EQ(snap.slots[0].owner_pid, 0);
  EXPECT_EQ(snap.slots[0].state, WorkerState::kFree);
  EXPECT_EQ(snap.slots[0].counters.requests, 10u);

  absl::StatusOr<SlotWriter> w = sb->ClaimSlot();
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->slot_index(), 0u);
  w->OnRequest(3'000);
  w->AddBytesOut(1);
  snap = r->Read().value();
  EXPECT_EQ(snap.totals.requests, 11u);
  EXPECT_EQ(snap.totals.bytes_out, 1001u);
  EXPECT_EQ(snap.slots[0].claims, 2u);
}

}  // namespace
}  // namespace corral::stats
