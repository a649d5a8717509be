// RunWorkerPool's growth with a fake set of workers and a real PoolGauge: a worker's request for
// another is met below max_workers, and taken without a launch at it (left untaken, the request
// would keep the server's loop awake for ever). The pools under real traffic are in
// pool_growth_test.cc.
#include "servers/models/worker_pool.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "base/unique_fd.h"

namespace corral::models {
namespace {

// Launches nothing real; stops the pool (through its stop descriptor) at the first Collect,
// which the pool makes right after its first wake. `running`: workers already there, serving.
class FakeWorkers final : public Workers {
 public:
  FakeWorkers(int stop_fd, size_t running) : stop_fd_(stop_fd), launched_(running) {}
  bool Launch(int, std::function<void()>) override {
    ++launched_;
    return true;
  }
  size_t active() const override { return launched_; }
  int finished_fd() const override { return -1; }
  void Collect() override {
    uint64_t one = 1;
    ASSERT_EQ(::write(stop_fd_, &one, sizeof one), static_cast<ssize_t>(sizeof one));
  }
  size_t Drain(net::Deadline) override { return 0; }

 private:
  const int stop_fd_;
  size_t launched_ = 0;
};

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

struct Pool {
  base::UniqueFd stop{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  base::UniqueFd listener{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  std::unique_ptr<PoolGauge> gauge;

  // The gauge of a pool of `size` whose every worker serves, the last one having asked for more.
  explicit Pool(uint32_t size, uint32_t max_workers = 0) {
    absl::StatusOr<std::unique_ptr<PoolGauge>> made =
        PoolGauge::Create(size, max_workers != 0 ? max_workers : size + 1, listener.get());
    EXPECT_TRUE(made.ok()) << made.status();
    if (!made.ok()) return;
    gauge = *std::move(made);
    for (uint32_t i = 0; i < size; ++i) gauge->EnterWait();
    for (uint32_t i = 0; i < size; ++i) gauge->LeaveWait();
  }
};

TEST(RunWorkerPoolTest, AWorkerTakingTheLastPlaceGetsAnotherStarted) {
  Pool pool(2);
  ASSERT_TRUE(pool.gauge);
  ASSERT_TRUE(Readable(pool.gauge->request_fd()));
  FakeWorkers workers(pool.stop.get(), 2);
  ASSERT_TRUE(RunWorkerPool(workers, 2, pool.stop.get(), std::chrono::milliseconds(0), [] {},
                            {.gauge = pool.gauge.get(), .max_workers = 3})
                  .ok());
  EXPECT_EQ(workers.active(), 3u);
  EXPECT_FALSE(Readable(pool.gauge->request_fd()));
}

TEST(RunWorkerPoolTest, AtMaxWorkersTheRequestIsTakenWithoutALaunch) {
  Pool pool(2);
  ASSERT_TRUE(pool.gauge);
  FakeWorkers workers(pool.stop.get(), 2);
  ASSERT_TRUE(RunWorkerPool(workers, 2, pool.stop.get(), std::chrono::milliseconds(0), [] {},
                            {.gauge = pool.gauge.get(), .max_workers = 2})
                  .ok());
  EXPECT_EQ(workers.active(), 2u);
  EXPECT_FALSE(Readable(pool.gauge->request_fd()))
      << "a request left at the cap wakes the server's loop at once, for ever";
}

TEST(RunWorkerPoolTest, ClientsQueuedOnTheListenerGetAWorkerEachAtOnce) {
  // Three clients wait in the backlog while both workers serve: one wake starts a worker for
  // each and one to wait, rather than one per wake, each asked for by the one before.
  Pool pool(2, 10);
  ASSERT_TRUE(pool.gauge);
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(pool.listener.get(), reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
  ASSERT_EQ(::listen(pool.listener.get(), 16), 0);
  socklen_t size = sizeof any;
  ASSERT_EQ(::getsockname(pool.listener.get(), reinterpret_cast<sockaddr*>(&any), &size), 0);
  std::vector<base::UniqueFd> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::connect(clients.back().get(), reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
  }
  FakeWorkers workers(pool.stop.get(), 2);
  ASSERT_TRUE(RunWorkerPool(workers, 2, pool.stop.get(), std::chrono::milliseconds(0), [] {},
                            {.gauge = pool.gauge.get(), .max_workers = 10})
                  .ok());
  EXPECT_EQ(workers.active(), 2u + 3u + 1u);
  // Counted as waiting from their launch: the first of them to accept asks for none.
  for (int i = 0; i < 3; ++i) pool.gauge->LeaveWait();
  EXPECT_FALSE(Readable(pool.gauge->request_fd()));
}

TEST(PoolGaugeTest, OnlyWorkersBeyondThePoolSizeRetire) {
  Pool pool(2);
  ASSERT_TRUE(pool.gauge);
  for (int i = 0; i < 3; ++i) pool.gauge->EnterWait();  // three waiting, one too many
  EXPECT_TRUE(pool.gauge->RetireIdle());
  EXPECT_FALSE(pool.gauge->RetireIdle());
}

}  // namespace
}  // namespace corral::models
