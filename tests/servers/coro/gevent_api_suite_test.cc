// The hub's API held to the behaviour gevent's src/gevent/tests/test__api.py checks. Each case
// names the Python test whose behaviour it checks; the code is Corral's own.
#include <chrono>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "servers/coro/hub.h"
#include "servers/coro/task.h"
#include "servers/coro/timeout.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

// test__api.py, Test.test_killing_dormant: killing a sleeping task raises GreenletExit at its
// sleep; code after its handler still runs, before Kill returns.
TEST(GeventApiSuiteTest, KillingDormant) {
  InFreshThread([] {
    std::vector<std::string> state;
    auto h = Spawn([&] {
      try {
        state.push_back("start");
        Sleep(1h);
      } catch (const GreenletExit&) {
        state.push_back("except");
      }
      state.push_back("finished");
    });
    Sleep(1ms);
    EXPECT_EQ(state, (std::vector<std::string>{"start"}));
    h.Kill();
    EXPECT_EQ(state, (std::vector<std::string>{"start", "except", "finished"}));
  });
}

// test__api.py, Test.test_nested_with_timeout: when the outer limit is the shorter, the inner
// WithTimeout lets the outer's TimeoutExpired through.
TEST(GeventApiSuiteTest, NestedWithTimeout) {
  InFreshThread([] {
    bool inner_result = true;
    EXPECT_FALSE(WithTimeout(10ms, [&] { inner_result = WithTimeout(1h, [] { Sleep(1h); }); }));
    EXPECT_TRUE(inner_result);  // never assigned: the inner call did not return
  });
}

// test__api.py, Test.test_invalid_switch_None / _0 / _1: a direct switch into a greenlet that
// waits for a descriptor is an InvalidSwitch raised in the waiter, not a wake-up.
TEST(GeventApiSuiteTest, InvalidSwitchIntoDescriptorWait) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    const int fd = a.get();
    auto waiter = Spawn([fd]() -> std::string {
      try {
        absl::Status s = Hub::Current().WaitFd(fd, Poller::Interest::kRead, 1h);
        return "woke: " + s.ToString();
      } catch (const InvalidSwitch& e) {
        return e.what();
      }
    });
    Yield();  // the waiter parks on fd
    auto switcher = Spawn([&] { waiter.task()->Switch(); });
    EXPECT_THAT(waiter.Get(), ::testing::HasSubstr("invalid switch"));
    EXPECT_TRUE(switcher.Kill(true, 10s));
    Hub::Current().ForgetFd(fd);
  });
}

// test__api.py, TestTimers.test_timer_fired: a SpawnLater made inside a task fires once due; the
// outer task has not run before the spawner yields.
TEST(GeventApiSuiteTest, TimerFired) {
  InFreshThread([] {
    std::vector<int> lst{1};
    auto f = Spawn([&] {
      SpawnLater(10ms, [&] { lst.pop_back(); });
      Sleep(20ms);
    });
    EXPECT_EQ(lst.size(), 1u);
    f.Join();
    EXPECT_TRUE(lst.empty());
  });
}

// test__api.py, TestTimers.test_spawn_is_not_cancelled: a task spawned by a task that then exits
// at once still runs.
TEST(GeventApiSuiteTest, SpawnIsNotCancelled) {
  InFreshThread([] {
    std::vector<int> lst{1};
    Spawn([&] { Spawn([&] { lst.pop_back(); }); });
    Sleep(10ms);
    EXPECT_TRUE(lst.empty());
  });
}

// test__api.py / test__sleep (gevent.sleep(0) semantics): Sleep(0) lets every other ready task run
// once before the caller resumes.
TEST(GeventApiSuiteTest, SleepZeroYieldsToEveryReadyTask) {
  InFreshThread([] {
    std::vector<int> order;
    for (int i = 0; i < 3; ++i) Spawn([&order, i] { order.push_back(i); });
    Sleep(0ms);
    order.push_back(99);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 99}));
  });
}

}  // namespace
}  // namespace corral::coro
