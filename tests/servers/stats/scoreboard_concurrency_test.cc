// Several processes and threads writing at once: totals must be exact, claims distinct.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "servers/stats/scoreboard.h"
#include "servers/stats/scoreboard_reader.h"
#include "tests/servers/stats/temp_dir.h"

namespace corral::stats {
namespace {

constexpr int kRequestsPerWorker = 200'000;

// What one worker does: exactly kRequestsPerWorker requests of known sizes and latencies.
void Hammer(SlotWriter& w) {
  w.OnAccept();
  for (int i = 0; i < kRequestsPerWorker; ++i) {
    w.SetState(WorkerState::kReading);
    w.AddBytesIn(3);
    w.OnRequest(static_cast<uint64_t>(1'000 + i % 5'000));
    w.AddBytesOut(7);
    w.SetState(WorkerState::kKeepAlive);
  }
  w.OnError(ErrorKind::kReset);
  w.OnClose();
}

// Waits for every child; true if all exited 0.
bool WaitAll(const std::vector<pid_t>& children) {
  bool ok = true;
  for (pid_t c : children) {
    int status = 0;
    ok = waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0 && ok;
  }
  return ok;
}

absl::StatusOr<Scoreboard> NewScoreboard(const TempDir& dir, uint32_t slots) {
  ScoreboardOptions o;
  o.path = dir.File("sb");
  o.slot_count = slots;
  o.protocol = "echo";
  o.model = "thread";
  return Scoreboard::Create(o);
}

TEST(ScoreboardConcurrencyTest, ProcessesAndThreadsGiveExactTotalsWhileBeingRead) {
  constexpr int kProcesses = 3;
  constexpr int kThreadsPerProcess = 3;
  constexpr int kWorkers = kProcesses * kThreadsPerProcess;
  TempDir dir;
  absl::StatusOr<Scoreboard> sb = NewScoreboard(dir, kWorkers);
  ASSERT_TRUE(sb.ok());
  absl::StatusOr<ScoreboardReader> reader = ScoreboardReader::Open(dir.File("sb"));
  ASSERT_TRUE(reader.ok());

  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      std::atomic<int> failures = 0;
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreadsPerProcess; ++t) {
        threads.emplace_back([&] {
          absl::StatusOr<SlotWriter> w = sb->ClaimSlot();
          if (!w.ok()) {
            ++failures;
            return;
          }
          Hammer(*w);
        });  // the writer is destroyed on the thread that claimed it: released
      }
      for (std::thread& t : threads) t.join();
      _exit(failures == 0 ? 0 : 1);
    }
    children.push_back(child);
  }

  // Meanwhile the "agent" reads: totals only ever grow.
  std::thread watcher([&] {
    uint64_t last_requests = 0;
    uint64_t last_bytes = 0;
    for (int i = 0; i < 200; ++i) {
      const Snapshot s = reader->Read().value();
      EXPECT_GE(s.totals.requests, last_requests);
      EXPECT_GE(s.totals.bytes_out, last_bytes);
      EXPECT_LE(s.totals.requests, uint64_t{kWorkers} * kRequestsPerWorker);
      last_requests = s.totals.requests;
      last_bytes = s.totals.bytes_out;
    }
  });
  watcher.join();
  ASSERT_TRUE(WaitAll(children));

  const Snapshot s = reader->Read().value();
  const uint64_t n = uint64_t{kWorkers} * kRequestsPerWorker;
  EXPECT_EQ(s.totals.requests, n);
  EXPECT_EQ(s.totals.bytes_in, 3 * n);
  EXPECT_EQ(s.totals.bytes_out, 7 * n);
  EXPECT_EQ(s.totals.accepted, uint64_t{kWorkers});
  EXPECT_EQ(s.totals.closed, uint64_t{kWorkers});
  EXPECT_EQ(s.totals.error(ErrorKind::kReset), uint64_t{kWorkers});
  EXPECT_EQ(s.latency.count, n);
  uint64_t latency_sum = 0;
  for (int i = 0; i < kRequestsPerWorker; ++i) latency_sum += 1'000 + i % 5'000;
  EXPECT_EQ(s.latency.sum_ns, kWorkers * latency_sum);
  EXPECT_EQ(s.free_slots(), uint32_t{kWorkers});  // every thread released its slot
  // A thread that finished early may have handed its slot to a later one: each claim of a slot
  // added exactly one worker's requests on top of the previous owners'.
  uint64_t claims = 0;
  for (const SlotSnapshot& slot : s.slots) {
    EXPECT_EQ(slot.counters.requests, slot.claims * kRequestsPerWorker) << "slot " << slot.index;
    claims += slot.claims;
  }
  EXPECT_EQ(claims, uint64_t{kWorkers});
}

TEST(ScoreboardConcurrencyTest, ConcurrentClaimsFromManyProcessesNeverShareASlot) {
  constexpr int kProcesses = 8;
  constexpr int kClaimsPerProcess = 4;
  TempDir dir;
  absl::StatusOr<Scoreboard> sb = NewScoreboard(dir, kProcesses * kClaimsPerProcess);
  ASSERT_TRUE(sb.ok());
  int go[2];
  ASSERT_EQ(pipe2(go, O_CLOEXEC), 0);

  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(go[1]);
      char byte;
      if (read(go[0], &byte, 1) != 0) _exit(3);  // start together when the parent closes
      std::vector<SlotWriter> mine;
      for (int i = 0; i < kClaimsPerProcess; ++i) {
        absl::StatusOr<SlotWriter> w = sb->ClaimSlot();
        if (!w.ok()) _exit(1);
        w->OnAccept();
        mine.push_back(*std::move(w));
      }
      _exit(0);  // keep the slots owned: the parent inspects them
    }
    children.push_back(child);
  }
  close(go[0]);
  close(go[1]);
  ASSERT_TRUE(WaitAll(children));

  const Snapshot s = ScoreboardReader::Open(dir.File("sb"))->Read().value();
  std::multiset<pid_t> owners;
  for (const SlotSnapshot& slot : s.slots) {
    EXPECT_EQ(slot.claims, 1u) << "slot " << slot.index;
    EXPECT_EQ(slot.counters.accepted, 1u) << "slot " << slot.index;
    owners.insert(slot.owner_pid);
  }
  for (pid_t c : children) EXPECT_EQ(owners.count(c), size_t{kClaimsPerProcess});
  EXPECT_FALSE(sb->ClaimSlot().ok());  // full

  int reclaimed = 0;
  for (pid_t c : children) reclaimed += sb->ReclaimSlotsOf(c);
  EXPECT_EQ(reclaimed, kProcesses * kClaimsPerProcess);
  EXPECT_TRUE(sb->ClaimSlot().ok());
}

TEST(ScoreboardConcurrencyTest, SuccessiveChildProcessesAccumulateInOneSlot) {
  TempDir dir;
  absl::StatusOr<Scoreboard> sb = NewScoreboard(dir, 1);
  ASSERT_TRUE(sb.ok());
  constexpr int kChildren = 5;
  for (int i = 0; i < kChildren; ++i) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      absl::StatusOr<SlotWriter> w = sb->ClaimSlot();
      if (!w.ok()) _exit(1);
      for (int r = 0; r < 1000; ++r) w->OnRequest(10'000);
      w->AddBytesIn(1);
      if (i % 2 == 0) w->Release();  // half release, half die holding the slot
      _exit(0);
    }
    ASSERT_TRUE(WaitAll({child}));
    sb->ReclaimSlotsOf(child);  // what the fork model's reaper does after every waitpid
  }
  const Snapshot s = ScoreboardReader::Open(dir.File("sb"))->Read().value();
  EXPECT_EQ(s.slots[0].claims, uint64_t{kChildren});
  EXPECT_EQ(s.totals.requests, 1000u * kChildren);
  EXPECT_EQ(s.totals.bytes_in, uint64_t{kChildren});
  EXPECT_EQ(s.latency.count, 1000u * kChildren);
  EXPECT_EQ(s.slots[0].state, WorkerState::kFree);
}

}  // namespace
}  // namespace corral::stats
