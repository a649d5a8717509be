// SharedWorkWaiter over real descriptors: work, stop (which wins), and timeout, for waiters in
// several threads sharing one work descriptor as pool workers do.
#include "servers/models/wait_for_work.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

namespace corral::models {
namespace {

void Signal(int fd) {
  uint64_t one = 1;
  ASSERT_EQ(::write(fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
}

struct Descriptors {
  base::UniqueFd stop{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
  base::UniqueFd work{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
};

TEST(SharedWorkWaiterTest, ReportsWorkStopAndTimeout) {
  Descriptors d;
  SharedWorkWaiter waiter(d.stop.get(), d.work.get());
  EXPECT_EQ(waiter.Wait(20), Wake::kTimeout);
  Signal(d.work.get());
  EXPECT_EQ(waiter.Wait(5000), Wake::kWork);
  Signal(d.stop.get());
  EXPECT_EQ(waiter.Wait(5000), Wake::kStop);  // stop wins while work is still pending
}

TEST(SharedWorkWaiterTest, StopWakesEveryWaiter) {
  Descriptors d;
  constexpr int kWaiters = 4;
  std::atomic<int> stopped{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters; ++i) {
    threads.emplace_back([&] {
      SharedWorkWaiter waiter(d.stop.get(), d.work.get());
      if (waiter.Wait(10000) == Wake::kStop) ++stopped;
    });
  }
  Signal(d.stop.get());
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(stopped.load(), kWaiters);
}

}  // namespace
}  // namespace corral::models
