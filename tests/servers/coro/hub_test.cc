#include "servers/coro/hub.h"

#include <chrono>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "servers/coro/event.h"
#include "servers/coro/socket_calls.h"
#include "servers/coro/task.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

// The seed's example: two spawned functions interleave around Sleep, collected with JoinAll.
TEST(HubTest, SpawnedFunctionsInterleaveAroundSleep) {
  InFreshThread([] {
    std::vector<std::string> log;
    auto worker = [&](const std::string& name, int steps) {
      for (int i = 0; i < steps; ++i) {
        log.push_back(name + std::to_string(i));
        Sleep(1ms);
      }
      return steps;
    };
    auto a = Spawn(worker, std::string("a"), 3);
    auto b = Spawn(worker, std::string("b"), 3);
    EXPECT_TRUE(log.empty());  // nothing runs until the spawner blocks
    std::vector<AnyHandle> done = JoinAll({a, b});
    EXPECT_EQ(done.size(), 2u);
    EXPECT_EQ(log, (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}));
    EXPECT_EQ(a.Get(), 3);
    EXPECT_EQ(b.Get(), 3);
  });
}

TEST(HubTest, SleepZeroLetsOthersRunOnce) {
  InFreshThread([] {
    std::vector<std::string> log;
    auto a = Spawn([&] {
      for (int i = 0; i < 3; ++i) {
        log.push_back("a" + std::to_string(i));
        Sleep(0ms);
      }
    });
    auto b = Spawn([&] {
      for (int i = 0; i < 3; ++i) {
        log.push_back("b" + std::to_string(i));
        Yield();
      }
    });
    JoinAll({a, b});
    EXPECT_EQ(log, (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}));
  });
}

TEST(HubTest, SleepLastsAtLeastTheDuration) {
  InFreshThread([] {
    const auto start = Clock::now();
    Sleep(30ms);
    EXPECT_GE(Clock::now() - start, 30ms);
  });
}

TEST(HubTest, SleepersWakeInDeadlineOrder) {
  InFreshThread([] {
    std::vector<int> order;
    std::vector<AnyHandle> all;
    for (int ms : {40, 10, 30, 20}) {
      all.push_back(Spawn([&order, ms] {
        Sleep(std::chrono::milliseconds(ms));
        order.push_back(ms);
      }));
    }
    JoinAll(all);
    EXPECT_EQ(order, (std::vector<int>{10, 20, 30, 40}));
  });
}

TEST(HubTest, BusyYieldingDoesNotStarveIo) {
  InFreshThread([] {
    auto [a, b] = testing::SocketPair();
    bool stop = false;
    long spins = 0;
    auto spinner = Spawn([&] {
      while (!stop) {
        ++spins;
        Yield();
      }
    });
    auto reader = Spawn([&, fd = a.get()] {
      char c;
      EXPECT_TRUE(WaitReadable(fd, 10s).ok());
      EXPECT_EQ(read(fd, &c, 1), 1);
      stop = true;
    });
    auto writer = Spawn([fd = b.get()] {
      Sleep(5ms);
      EXPECT_EQ(write(fd, "x", 1), 1);
    });
    EXPECT_TRUE(reader.Join(10s));
    EXPECT_TRUE(spinner.Join(10s));
    EXPECT_GT(spins, 0);
  });
}

TEST(HubTest, RunReturnsWhenStoppedFromAnotherThread) {
  InFreshThread([] {
    Hub& hub = Hub::Current();
    bool ran_in_loop = false;
    std::latch running(1);  // counted down by the ticker: the hub is inside Run
    std::thread other([&] {
      running.wait();
      hub.RunInLoop([&] { ran_in_loop = true; });
      hub.Stop();
    });
    auto ticker = Spawn([&running] {
      running.count_down();
      for (;;) Sleep(1ms);
    });
    hub.Run();
    other.join();
    // The callback was queued before Stop, so it ran before Run returned.
    EXPECT_TRUE(ran_in_loop);
    EXPECT_FALSE(ticker.ready());
  });
}

TEST(HubTest, RunWaitsForRemoteWorkEvenWithNothingToDo) {
  InFreshThread([] {
    Hub& hub = Hub::Current();
    int spawned_ran = 0;
    std::thread other([&] {
      std::this_thread::sleep_for(20ms);
      // RunInLoop callbacks must not block, but may spawn.
      hub.RunInLoop([&] {
        Spawn([&] {
          ++spawned_ran;
          Hub::Current().Stop();
        });
      });
    });
    hub.Run();  // idle until the other thread's callback arrives
    other.join();
    EXPECT_EQ(spawned_ran, 1);
  });
}

TEST(HubTest, StopBeforeRunMakesRunReturnAtOnce) {
  InFreshThread([] {
    Hub& hub = Hub::Current();
    hub.Stop();
    hub.Run();
    SUCCEED();
  });
}

TEST(HubTest, DeadlockRaisesLoopExitInRoot) {
  InFreshThread([] {
    Event never;
    auto waiter = Spawn([&] { never.Wait(); });
    EXPECT_THROW(waiter.Join(), LoopExit);
    EXPECT_FALSE(waiter.ready());
    waiter.Kill();  // before `never` goes out of scope
  });
}

TEST(HubTest, BlockingOnTheHubStackIsRefused) {
  InFreshThread([] {
    Hub& hub = Hub::Current();
    bool refused = false;
    hub.RunInLoop([&] {
      try {
        Sleep(1ms);
      } catch (const std::logic_error&) {
        refused = true;
      }
    });
    Sleep(5ms);
    EXPECT_TRUE(refused);
  });
}

TEST(HubTest, ThreadExitKillsRemainingGreenlets) {
  int destroyed = 0;
  InFreshThread([&] {
    struct Tracker {
      int* n;
      ~Tracker() { ++*n; }
    };
    for (int i = 0; i < 3; ++i) {
      Spawn([&] {
        Tracker t{&destroyed};
        Sleep(1h);
      });
    }
    SpawnLater(1h, [&] { Tracker t{&destroyed}; });  // never starts
    Sleep(1ms);                                      // let the first three park
  });
  EXPECT_EQ(destroyed, 3);
}

TEST(HubTest, EachThreadHasItsOwnHub) {
  // What the coroutine server model does: N threads, one hub each, running side by side.
  constexpr int kThreads = 4;
  std::vector<int> results(kThreads, 0);
  std::vector<Hub*> hubs(kThreads, nullptr);
  std::vector<std::thread> threads;
  // Every hub exists until all have been created: a hub freed at its thread's exit could
  // otherwise lend its address to a later one and make two distinct hubs look alike.
  std::latch all_created(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      hubs[static_cast<size_t>(t)] = &Hub::Current();
      all_created.arrive_and_wait();
      std::vector<AnyHandle> all;
      int sum = 0;
      for (int i = 1; i <= 100; ++i) {
        all.push_back(Spawn([&sum, i] {
          Sleep(std::chrono::microseconds(i * 10));
          sum += i;
        }));
      }
      JoinAll(all);
      results[static_cast<size_t>(t)] = sum;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(results[static_cast<size_t>(t)], 5050);
    for (int u = 0; u < t; ++u)
      EXPECT_NE(hubs[static_cast<size_t>(t)], hubs[static_cast<size_t>(u)]);
  }
}

TEST(HubTest, RemoteCallbacksRunOnTheHubThreadInOrder) {
  InFreshThread([] {
    Hub& hub = Hub::Current();
    const std::thread::id hub_thread = std::this_thread::get_id();
    std::vector<int> seen;
    bool all_on_hub_thread = true;
    std::thread other([&] {
      for (int i = 0; i < 100; ++i) {
        hub.RunInLoop([&, i] {
          seen.push_back(i);
          all_on_hub_thread &= std::this_thread::get_id() == hub_thread;
        });
      }
      hub.RunInLoop([&] { hub.Stop(); });
    });
    hub.Run();
    other.join();
    ASSERT_EQ(seen.size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)], i);
    EXPECT_TRUE(all_on_hub_thread);
  });
}

// gevent test__api.py, test_sleep_invalid_switch: a direct switch into a sleeping greenlet is
// an error raised in the sleeper, not its wake-up; and the switcher, left suspended in its
// switch, can still be killed.
TEST(HubTest, StraySwitchIntoSleeperRaisesInvalidSwitchInIt) {
  InFreshThread([] {
    auto sleeper = Spawn([]() -> std::string {
      try {
        Sleep(1h);
        return "woke up";
      } catch (const std::exception& e) {
        return e.what();
      }
    });
    Yield();  // the sleeper parks
    auto switcher = Spawn([&] { sleeper.task()->Switch(); });
    EXPECT_THAT(sleeper.Get(), ::testing::HasSubstr("invalid switch"));
    EXPECT_TRUE(switcher.Kill(/*block=*/true, Deadline(10s)));
    EXPECT_TRUE(switcher.killed());
  });
}

// The same switch into a greenlet that is queued to resume (Yield) rather than parked: it gets
// InvalidSwitch, and its queued resumption is withdrawn, so a later Sleep is not cut short by it.
TEST(HubTest, StraySwitchIntoYieldingGreenletWithdrawsItsQueuedResumption) {
  InFreshThread([] {
    bool invalid = false;
    bool slept_through = false;
    auto yielder = Spawn([&] {
      try {
        Yield();
      } catch (const std::exception& e) {
        invalid = std::string(e.what()).find("invalid switch") != std::string::npos;
      }
      Sleep(1h);
      slept_through = true;
    });
    // Runs right after the yielder, while the yielder's resumption is queued.
    auto switcher = Spawn([&] { yielder.task()->Switch(); });
    for (int i = 0; i < 5; ++i) Yield();
    EXPECT_TRUE(invalid);
    EXPECT_FALSE(slept_through);
    EXPECT_TRUE(yielder.Kill(/*block=*/true, Deadline(10s)));
    EXPECT_TRUE(switcher.Kill(/*block=*/true, Deadline(10s)));
  });
}

}  // namespace
}  // namespace corral::coro
