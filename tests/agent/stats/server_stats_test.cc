// ServerHistory and StatsBetween against a real scoreboard file written here (the same writer
// corral-server uses) and this test process standing in for the server's process tree.
#include "agent/server_stats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "servers/stats/scoreboard.h"
#include "servers/stats/slot_writer.h"

namespace corral::agent {
namespace {

class ServerStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/corral-server-stats-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    home_ = pattern;
    std::filesystem::create_directories(home_ + "/servers/web");
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  v1::Server RunningServer() const {
    v1::Server server;
    server.mutable_spec()->set_name("web");
    server.mutable_spec()->set_protocol(v1::PROTOCOL_TCP_ECHO);
    server.mutable_spec()->set_model(v1::MODEL_THREAD);
    server.set_state(v1::STATE_RUNNING);
    server.set_pid(::getpid());
    server.set_bound_address("127.0.0.1:7007");
    server.set_restarts(2);
    server.mutable_start_time()->set_seconds(absl::ToUnixSeconds(absl::Now() - absl::Seconds(10)));
    return server;
  }

  // A new sample of `server`, against the previous one kept (none for the first).
  static v1::ServerStats Take(ServerHistory& history, const v1::Server& server, bool per_worker) {
    std::shared_ptr<const ServerSample> cur = history.Sample(server);
    std::shared_ptr<const ServerSample> base = history.Before(*cur, absl::ZeroDuration());
    return StatsBetween(server, base.get(), *cur, absl::Now(), per_worker);
  }

  std::string home_;
  const procfs::ProcFs fs_;
};

TEST_F(ServerStatsTest, MissingScoreboardLeavesStatsUnavailableButProcessMeasured) {
  ServerHistory sampler(ScoreboardPath(home_, "web"), fs_);
  v1::ServerStats s = Take(sampler, RunningServer(), false);
  EXPECT_EQ(s.name(), "web");
  EXPECT_EQ(s.restarts(), 2u);
  EXPECT_NEAR(s.uptime_seconds(), 10, 2);
  EXPECT_FALSE(s.scoreboard_available());
  EXPECT_FALSE(s.unavailable_reason().empty());
  ASSERT_TRUE(s.has_process());
  EXPECT_GE(s.process().processes(), 1u);
  EXPECT_GE(s.process().threads(), 1u);
  EXPECT_GT(s.process().rss_bytes(), 0u);
  EXPECT_GT(s.process().open_fds(), 0u);
  EXPECT_EQ(sampler.lifetime_latency(), nullptr);
}

TEST_F(ServerStatsTest, UntrustworthyScoreboardIsReportedInvalidWithTheReason) {
  ServerHistory sampler(ScoreboardPath(home_, "web"), fs_);
  v1::ServerStats missing = Take(sampler, RunningServer(), false);
  EXPECT_FALSE(missing.scoreboard_invalid());  // not there yet is not invalid

  // The server left a symlink where its scoreboard should be.
  ASSERT_EQ(::symlink("/etc/passwd", ScoreboardPath(home_, "web").c_str()), 0);
  v1::ServerStats s = Take(sampler, RunningServer(), true);
  EXPECT_FALSE(s.scoreboard_available());
  EXPECT_TRUE(s.scoreboard_invalid());
  EXPECT_EQ(s.unavailable_reason(),
            "open scoreboard " + ScoreboardPath(home_, "web") + ": is a symbolic link");
  EXPECT_EQ(s.workers_size(), 0);
  EXPECT_TRUE(s.has_process());  // the rest of the report is still there
}

TEST_F(ServerStatsTest, CountsAndIntervalDeltasComeFromTheScoreboard) {
  absl::StatusOr<stats::Scoreboard> board =
      stats::Scoreboard::Create({.path = ScoreboardPath(home_, "web"),
                                 .slot_count = 4,
                                 .protocol = "tcp-echo",
                                 .model = "thread"});
  ASSERT_TRUE(board.ok()) << board.status();
  board->SetListenerState(stats::ListenerState::kAccepting);
  absl::StatusOr<stats::SlotWriter> slot = board->ClaimSlot();
  ASSERT_TRUE(slot.ok()) << slot.status();
  slot->OnAccept();
  for (int i = 0; i < 5; ++i) {
    slot->AddBytesIn(64);
    slot->OnRequest(1000);
    slot->AddBytesOut(64);
  }
  slot->OnError(stats::ErrorKind::kTimeout);

  ServerHistory sampler(ScoreboardPath(home_, "web"), fs_);
  v1::ServerStats first = Take(sampler, RunningServer(), true);
  ASSERT_TRUE(first.scoreboard_available()) << first.unavailable_reason();
  EXPECT_EQ(first.listener_state(), "accepting");
  EXPECT_EQ(first.totals().connections_accepted(), 1u);
  EXPECT_EQ(first.totals().requests(), 5u);
  EXPECT_EQ(first.totals().bytes_in(), 320u);
  EXPECT_EQ(first.totals().bytes_out(), 320u);
  EXPECT_EQ(first.totals().errors_timeout(), 1u);
  EXPECT_EQ(first.active_connections(), 1u);
  EXPECT_EQ(first.lifetime_latency().count(), 5u);
  EXPECT_NEAR(first.lifetime_latency().p50_ns(), 1000, 8);  // a bucket midpoint, within 1/128
  ASSERT_EQ(first.workers_size(), 4);
  EXPECT_EQ(first.workers(0).counters().requests() + first.workers(1).counters().requests() +
                first.workers(2).counters().requests() + first.workers(3).counters().requests(),
            5u);
  ASSERT_NE(sampler.lifetime_latency(), nullptr);
  EXPECT_EQ(sampler.lifetime_latency()->count, 5u);

  slot->OnRequest(2000);
  slot->OnClose();
  v1::ServerStats second = Take(sampler, RunningServer(), false);
  EXPECT_EQ(second.totals().requests(), 6u);
  EXPECT_EQ(second.interval_latency().count(), 1u);  // only the request since the first sample
  EXPECT_EQ(second.active_connections(), 0u);
  EXPECT_EQ(second.workers_size(), 0);
  EXPECT_GT(second.interval_seconds(), 0);
  EXPECT_GT(second.rates().requests_per_second(), 0);
}

TEST_F(ServerStatsTest, RatesCoverTheSpanBetweenSamplesNeverTheServersLife) {
  absl::StatusOr<stats::Scoreboard> board =
      stats::Scoreboard::Create({.path = ScoreboardPath(home_, "web"),
                                 .slot_count = 2,
                                 .protocol = "tcp-echo",
                                 .model = "thread",
                                 .worker_cap = 1});
  ASSERT_TRUE(board.ok()) << board.status();
  absl::StatusOr<stats::SlotWriter> slot = board->ClaimSlot();
  ASSERT_TRUE(slot.ok()) << slot.status();
  for (int i = 0; i < 1000; ++i) slot->OnRequest(1000);  // the server's past
  ServerHistory history(ScoreboardPath(home_, "web"), fs_);
  std::shared_ptr<const ServerSample> first = history.Sample(RunningServer());
  for (int i = 0; i < 10; ++i) slot->OnRequest(5000);  // the last second
  slot->OnAccept();
  slot->SetState(stats::WorkerState::kReading);
  // Older than the 100 ms a sample stands for "now": Recent takes a new one.
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  v1::ServerStats now = history.Recent(RunningServer(), absl::Now(), false);
  EXPECT_EQ(now.totals().requests(), 1010u);
  // Against the first sample (the only older one), not since the start.
  EXPECT_EQ(now.interval_latency().count(), 10u);
  EXPECT_NEAR(now.interval_latency().p50_ns(), 5000, 40);
  EXPECT_EQ(now.lifetime_latency().count(), 1010u);
  EXPECT_GT(now.interval_seconds(), 0);
  EXPECT_EQ(history.Before(*history.Fresh(RunningServer(), absl::Seconds(10)), absl::Seconds(5)),
            first);
  // Workers: one client held at a cap of one.
  EXPECT_EQ(now.busy_workers(), 1u);
  EXPECT_EQ(now.worker_cap(), 1u);
  EXPECT_EQ(now.workers_left(), 0u);
}

TEST_F(ServerStatsTest, HistoryFollowsTheServerList) {
  StatsHistory history(home_, fs_);
  v1::Server web = RunningServer();
  v1::Server db = RunningServer();
  db.mutable_spec()->set_name("db");
  db.set_pid(0);
  history.SampleAll({db, web});
  std::vector<v1::ServerStats> out = history.Recent({db, web}, false);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name(), "db");
  EXPECT_FALSE(out[0].has_process());  // no process runs
  EXPECT_EQ(out[0].uptime_seconds(), 0);
  EXPECT_TRUE(out[1].has_process());
}

}  // namespace
}  // namespace corral::agent
