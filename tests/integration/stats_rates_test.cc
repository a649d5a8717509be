// Live figures that tell the truth (issue 28, items 1 and 3): under each model, the rates of
// GetStats and of a watch's first message are those of the last second, not averages since an
// earlier call or the server's start; and workers mean the same thing (busy, idle, cap, left).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tests/integration/stats_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct ModelCase {
  v1::Model model;
  const char* label;
};

class StatsRatesTest : public StatsTest, public ::testing::WithParamInterface<ModelCase> {
 protected:
  v1::Server StartServer(uint32_t max_workers = 0) {
    StartStatsAgent();
    v1::Server server;
    grpc::Status started = StartEcho("s", "127.0.0.1:0", &server, [&](v1::ServerSpec& spec) {
      spec.set_protocol(v1::PROTOCOL_TCP_ECHO);
      spec.set_model(GetParam().model);
      if (max_workers != 0) spec.set_max_workers(max_workers);
    });
    EXPECT_TRUE(started.ok()) << started.error_message();
    EXPECT_EQ(server.state(), v1::STATE_RUNNING) << server.reason();
    return server;
  }
};

// A client thread doing echo round-trips as fast as it can, remembering when each ended.
class SteadyLoad {
 public:
  explicit SteadyLoad(const std::string& address) {
    fd_ = ConnectTo(address, SOCK_STREAM);
    thread_ = std::thread([this] {
      const std::string message(64, 'x');
      while (!stop_.load()) {
        if (!EchoOn(fd_, message, false)) {
          failed_ = true;
          return;
        }
        absl::MutexLock lock(&mu_);
        ends_.push_back(Clock::now());
      }
    });
  }
  ~SteadyLoad() {
    Stop();
    ::close(fd_);
  }
  // Ends the load; returns when the last round-trip ended.
  Clock::time_point Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    absl::MutexLock lock(&mu_);
    return ends_.empty() ? Clock::now() : ends_.back();
  }
  // Round-trips that ended within [from, to].
  size_t CountBetween(Clock::time_point from, Clock::time_point to) {
    absl::MutexLock lock(&mu_);
    size_t n = 0;
    for (Clock::time_point t : ends_) n += t >= from && t <= to;
    return n;
  }
  size_t total() {
    absl::MutexLock lock(&mu_);
    return ends_.size();
  }
  bool failed() const { return failed_.load(); }

 private:
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  absl::Mutex mu_;
  std::vector<Clock::time_point> ends_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

TEST_P(StatsRatesTest, RatesAreOfTheLastSecondThenZeroOnceTheLoadStops) {
  v1::Server server = StartServer();
  // A call long before the load: an average since the previous call (or the start) would
  // spread the load over this idle time.
  v1::StatsReport before;
  ASSERT_TRUE(GetStats("s", &before).ok());
  std::this_thread::sleep_for(std::chrono::seconds(2));

  SteadyLoad load(server.bound_address());
  WaitFor([&] { return load.total() > 0 || load.failed(); });
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the load runs for a while
  const Clock::time_point asked = Clock::now();
  v1::StatsReport during;
  ASSERT_TRUE(GetStats("s", &during).ok());
  ASSERT_EQ(during.servers_size(), 1);
  const v1::ServerStats& s = during.servers(0);
  ASSERT_TRUE(s.scoreboard_available()) << s.unavailable_reason();
  EXPECT_GE(s.interval_seconds(), 0.75);
  EXPECT_LE(s.interval_seconds(), 2.5);
  // The client's rate over the same window: the span the stats cover, ending at the call.
  const auto span = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(s.interval_seconds()));
  const double client_rate =
      static_cast<double>(load.CountBetween(asked - span, asked)) / s.interval_seconds();
  ASSERT_FALSE(load.failed());
  ASSERT_GT(client_rate, 0);
  EXPECT_NEAR(s.rates().requests_per_second(), client_rate, 0.25 * client_rate)
      << "client measured " << client_rate << " round-trips/s over " << s.interval_seconds()
      << " s";

  const Clock::time_point stopped = load.Stop();
  std::this_thread::sleep_until(stopped + std::chrono::seconds(2));
  // Two seconds on, the last second had no request. (Polled only because a loaded machine may
  // run the agent's sampling tick late.)
  v1::ServerStats idle = WaitForStats(
      "s", [](const v1::ServerStats& seen) { return seen.rates().requests_per_second() == 0; });
  EXPECT_EQ(idle.rates().requests_per_second(), 0);
  EXPECT_GT(idle.totals().requests(), 0u);

  // A watch's first message is of the last second too, not of the server's life.
  grpc::ClientContext context;
  v1::WatchStatsRequest request;
  request.set_name("s");
  request.set_interval_ms(500);
  std::unique_ptr<grpc::ClientReader<v1::StatsReport>> reader =
      stats_->WatchStats(&context, request);
  v1::StatsReport first;
  ASSERT_TRUE(reader->Read(&first));
  ASSERT_EQ(first.servers_size(), 1);
  EXPECT_EQ(first.servers(0).rates().requests_per_second(), 0);
  EXPECT_GE(first.servers(0).interval_seconds(), 0.75);
  // Later messages cover the watch's own interval.
  v1::StatsReport second;
  ASSERT_TRUE(reader->Read(&second));
  EXPECT_GT(second.servers(0).interval_seconds(), 0.3);
  EXPECT_LT(second.servers(0).interval_seconds(), 1.5);
  context.TryCancel();
  reader->Finish();
}

TEST_P(StatsRatesTest, OneBusyConnectionAtACapOfOneLeavesNoneLeft) {
  v1::Server server = StartServer(/*max_workers=*/1);
  int fd = ConnectTo(server.bound_address(), SOCK_STREAM);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(EchoOn(fd, "held", false));  // served: the connection holds the one worker
  v1::ServerStats s =
      WaitForStats("s", [](const v1::ServerStats& seen) { return seen.busy_workers() == 1; });
  EXPECT_EQ(s.busy_workers(), 1u);
  EXPECT_EQ(s.worker_cap(), 1u);
  EXPECT_EQ(s.workers_left(), 0u);
  ::close(fd);
  v1::ServerStats after =
      WaitForStats("s", [](const v1::ServerStats& seen) { return seen.busy_workers() == 0; });
  EXPECT_EQ(after.worker_cap(), 1u);
  EXPECT_EQ(after.workers_left(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Models, StatsRatesTest,
                         ::testing::Values(ModelCase{v1::MODEL_THREAD, "thread"},
                                           ModelCase{v1::MODEL_FORK, "fork"},
                                           ModelCase{v1::MODEL_COROUTINE, "coroutine"}),
                         [](const ::testing::TestParamInfo<ModelCase>& param) {
                           return std::string(param.param.label);
                         });

}  // namespace
}  // namespace corral::testing
