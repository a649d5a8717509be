// DrainWithin: the one drain every model runs (wait to the deadline, cut, grace, survivors),
// driven here by fake steps, so each branch is seen without processes or sockets.
#include "servers/models/drain_policy.h"

#include <chrono>
#include <vector>

#include "gtest/gtest.h"

namespace corral::models {
namespace {

// Workers that finish when told: `finish_on_wait` says, for each wait in turn, whether every
// worker is gone by its end; `survive_cut` of them stay after a cut.
struct FakeWorkers {
  std::vector<bool> finish_on_wait;
  size_t running = 3;
  size_t survive_cut = 0;
  std::vector<net::Deadline> waits;
  int cuts = 0;

  size_t Drain(net::Deadline deadline) {
    return DrainWithin(deadline, "fake worker(s)",
                       {.wait_until_finished =
                            [this](net::Deadline until) {
                              waits.push_back(until);
                              const bool done = waits.size() <= finish_on_wait.size() &&
                                                finish_on_wait[waits.size() - 1];
                              if (done) running = 0;
                              return done;
                            },
                        .cut =
                            [this] {
                              ++cuts;
                              const size_t cut = running;
                              running = survive_cut;
                              return cut;
                            },
                        .running = [this] { return running; }});
  }
};

TEST(DrainPolicyTest, WorkersThatFinishInTimeAreNeitherCutNorCounted) {
  FakeWorkers workers;
  workers.finish_on_wait = {true};
  const net::Deadline deadline = net::Clock::now() + std::chrono::seconds(5);
  EXPECT_EQ(workers.Drain(deadline), 0u);
  EXPECT_EQ(workers.cuts, 0);
  ASSERT_EQ(workers.waits.size(), 1u);
  EXPECT_EQ(workers.waits[0], deadline);
}

TEST(DrainPolicyTest, AtTheDeadlineTheRestAreCutAndGivenTheGraceToUnwind) {
  FakeWorkers workers;
  workers.finish_on_wait = {false, true};
  const net::Deadline deadline = net::Clock::now();
  EXPECT_EQ(workers.Drain(deadline), 0u);
  EXPECT_EQ(workers.cuts, 1);
  ASSERT_EQ(workers.waits.size(), 2u);
  // The grace is counted from the cut, which comes after the deadline.
  EXPECT_GE(workers.waits[1], deadline + kCutGrace);
}

TEST(DrainPolicyTest, WorkersStillRunningAfterTheGraceAreTheSurvivors) {
  FakeWorkers workers;
  workers.finish_on_wait = {false, false};
  workers.survive_cut = 2;
  EXPECT_EQ(workers.Drain(net::Clock::now()), 2u);
  EXPECT_EQ(workers.cuts, 1);
  EXPECT_EQ(workers.waits.size(), 2u);
}

}  // namespace
}  // namespace corral::models
