#include "servers/stats/stats_sampler.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "servers/stats/scoreboard.h"
#include "tests/servers/stats/temp_dir.h"

namespace corral::stats {
namespace {

absl::StatusOr<Scoreboard> StartServer(const std::string& path) {
  ScoreboardOptions o;
  o.path = path;
  o.slot_count = 2;
  o.protocol = "echo";
  o.model = "coroutine";
  return Scoreboard::Create(o);
}

TEST(StatsSamplerTest, FollowsOneServerAcrossARestart) {
  TempDir dir;
  const std::string path = dir.File("scoreboard");
  StatsSampler sampler(path);
  EXPECT_TRUE(absl::IsNotFound(sampler.Sample().status()));  // server not started yet
  EXPECT_FALSE(sampler.last().has_value());

  absl::StatusOr<Scoreboard> run1 = StartServer(path);
  ASSERT_TRUE(run1.ok());
  absl::StatusOr<SlotWriter> w = run1->ClaimSlot();
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 10; ++i) w->OnRequest(1'000'000);

  absl::StatusOr<IntervalStats> first = sampler.Sample();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->restarted);
  EXPECT_EQ(first->delta.requests, 10u);  // since the server started
  EXPECT_EQ(first->lifetime_latency.count, 10u);
  ASSERT_TRUE(sampler.last().has_value());
  EXPECT_EQ(sampler.last()->model, "coroutine");

  for (int i = 0; i < 5; ++i) w->OnRequest(2'000'000);
  usleep(2'000);  // the interval must have a length: time passing is the point
  absl::StatusOr<IntervalStats> second = sampler.Sample();
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->restarted);
  EXPECT_EQ(second->delta.requests, 5u);
  EXPECT_GT(second->seconds, 0.0);
  EXPECT_GT(second->rates.requests, 0.0);
  EXPECT_NEAR(second->interval_latency.p50_ns, 2e6, 0.01 * 2e6);
  EXPECT_EQ(second->lifetime_latency.count, 15u);

  // The agent restarts the server: a new file replaces the old one at the same path.
  absl::StatusOr<Scoreboard> run2 = StartServer(path);
  ASSERT_TRUE(run2.ok());
  absl::StatusOr<SlotWriter> w2 = run2->ClaimSlot();
  for (int i = 0; i < 3; ++i) w2->OnRequest(1'000);
  absl::StatusOr<IntervalStats> third = sampler.Sample();
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->restarted);
  EXPECT_EQ(third->delta.requests, 3u);
  EXPECT_GE(third->rates.requests, 0.0);
  EXPECT_EQ(sampler.last()->identity.generation, 2u);

  // The file disappears (server removed): the sampler keeps the last one it had.
  ASSERT_EQ(unlink(path.c_str()), 0);
  absl::StatusOr<IntervalStats> fourth = sampler.Sample();
  ASSERT_TRUE(fourth.ok());
  EXPECT_FALSE(fourth->restarted);
  EXPECT_EQ(fourth->delta.requests, 0u);
  EXPECT_EQ(fourth->lifetime_latency.count, 3u);
}

TEST(StatsSamplerTest, AnUntrustworthyFileAtThePathIsAnErrorNotTheOldCounts) {
  TempDir dir;
  const std::string path = dir.File("scoreboard");
  absl::StatusOr<Scoreboard> run1 = StartServer(path);
  ASSERT_TRUE(run1.ok());
  StatsSampler sampler(path);
  ASSERT_TRUE(sampler.Sample().ok());

  // The server renames a FIFO over its scoreboard: reopening must neither block nor fall back on
  // the old file's counts.
  ASSERT_EQ(mkfifo(dir.File("fifo").c_str(), 0600), 0);
  ASSERT_EQ(rename(dir.File("fifo").c_str(), path.c_str()), 0);
  absl::StatusOr<IntervalStats> fifo = sampler.Sample();
  EXPECT_TRUE(absl::IsDataLoss(fifo.status())) << fifo.status();
  EXPECT_FALSE(sampler.last().has_value());

  // A new valid run is read again, measured from its own start.
  ASSERT_EQ(unlink(path.c_str()), 0);
  absl::StatusOr<Scoreboard> run2 = StartServer(path);
  ASSERT_TRUE(run2.ok());
  absl::StatusOr<IntervalStats> back = sampler.Sample();
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->restarted);

  // The same file rewritten in place: the open reader notices, and the sampler says so.
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const uint32_t huge = 1'000'000;
  ASSERT_EQ(pwrite(fd, &huge, sizeof huge, 20), static_cast<ssize_t>(sizeof huge));
  close(fd);
  absl::StatusOr<IntervalStats> rewritten = sampler.Sample();
  EXPECT_TRUE(absl::IsDataLoss(rewritten.status())) << rewritten.status();
  EXPECT_FALSE(sampler.last().has_value());
}

}  // namespace
}  // namespace corral::stats
