#include "servers/coro/greenlet.h"

#include <any>
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using testing::InFreshThread;

// The seed's example: two greenlets ping-ponging through Switch.
TEST(GreenletTest, PingPongThroughSwitch) {
  InFreshThread([] {
    std::vector<std::string> log;
    std::shared_ptr<Greenlet> ping, pong;
    ping = Greenlet::Create([&](std::any v) -> std::any {
      int n = std::any_cast<int>(v);
      while (n < 6) {
        log.push_back("ping " + std::to_string(n));
        n = std::any_cast<int>(pong->Switch(n + 1));
      }
      return n;
    });
    pong = Greenlet::Create([&](std::any v) -> std::any {
      int n = std::any_cast<int>(v);
      for (;;) {
        log.push_back("pong " + std::to_string(n));
        n = std::any_cast<int>(ping->Switch(n + 1));
      }
    });
    std::any result = ping->Switch(0);
    EXPECT_EQ(std::any_cast<int>(result), 6);
    EXPECT_EQ(log, (std::vector<std::string>{"ping 0", "pong 1", "ping 2", "pong 3", "ping 4",
                                             "pong 5"}));
    EXPECT_TRUE(ping->dead());
    EXPECT_TRUE(pong->active());  // suspended forever; destroying it unwinds it
  });
}

TEST(GreenletTest, FirstSwitchPassesArgumentAndReturnGoesToParent) {
  InFreshThread([] {
    Greenlet* root = Greenlet::Current();
    auto g = Greenlet::Create([&](std::any v) -> std::any {
      EXPECT_EQ(Greenlet::Current()->parent(), root);
      return std::any_cast<std::string>(v) + "!";
    });
    EXPECT_EQ(g->parent(), root);
    EXPECT_FALSE(g->started());
    EXPECT_EQ(std::any_cast<std::string>(g->Switch(std::string("hi"))), "hi!");
    EXPECT_TRUE(g->started());
    EXPECT_TRUE(g->dead());
  });
}

TEST(GreenletTest, SwitchReturnsValueOfLaterSwitchBack) {
  InFreshThread([] {
    Greenlet* root = Greenlet::Current();
    auto g = Greenlet::Create([&](std::any v) -> std::any {
      int a = std::any_cast<int>(v);
      int b = std::any_cast<int>(root->Switch(a * 10));  // suspends; resumed with b
      return a + b;
    });
    EXPECT_EQ(std::any_cast<int>(g->Switch(4)), 40);
    EXPECT_TRUE(g->active());
    EXPECT_EQ(std::any_cast<int>(g->Switch(5)), 9);
    EXPECT_TRUE(g->dead());
  });
}

TEST(GreenletTest, SwitchToCurrentReturnsValue) {
  InFreshThread([] { EXPECT_EQ(std::any_cast<int>(Greenlet::Current()->Switch(7)), 7); });
}

TEST(GreenletTest, ChildReturnsToItsParentNotToItsSwitcher) {
  InFreshThread([] {
    std::vector<std::string> log;
    std::shared_ptr<Greenlet> parent, child;
    parent = Greenlet::Create([&](std::any) -> std::any {
      child = Greenlet::Create([&](std::any) -> std::any {
        log.push_back("child");
        return std::string("from child");
      });  // parent: `parent`, its creator
      std::any r = child->Switch();
      log.push_back("parent got " + std::any_cast<std::string>(r));
      return 1;
    });
    EXPECT_EQ(std::any_cast<int>(parent->Switch()), 1);
    EXPECT_EQ(child->parent(), parent.get());
    EXPECT_EQ(log, (std::vector<std::string>{"child", "parent got from child"}));
  });
}

TEST(GreenletTest, DeadParentHandsResultToGrandparent) {
  InFreshThread([] {
    auto middle = Greenlet::Create([](std::any) -> std::any { return 0; });
    auto leaf = Greenlet::Create([](std::any) -> std::any { return 42; }, middle);
    middle->Switch();
    ASSERT_TRUE(middle->dead());
    // leaf's parent is dead: its result goes to middle's parent, the root, i.e. here.
    EXPECT_EQ(std::any_cast<int>(leaf->Switch()), 42);
  });
}

TEST(GreenletTest, SwitchToDeadGreenletGoesToParent) {
  InFreshThread([] {
    std::shared_ptr<Greenlet> done = Greenlet::Create([](std::any) -> std::any { return {}; });
    done->Switch();
    ASSERT_TRUE(done->dead());
    auto g = Greenlet::Create([&](std::any) -> std::any {
      // done's parent is the root: this lands there with 5.
      done->Switch(5);
      return {};
    });
    EXPECT_EQ(std::any_cast<int>(g->Switch()), 5);
  });
}

TEST(GreenletTest, SetParentRejectsCycles) {
  InFreshThread([] {
    auto a = Greenlet::Create([](std::any) -> std::any { return {}; });
    auto b = Greenlet::Create([](std::any) -> std::any { return {}; }, a);
    EXPECT_EQ(a->SetParent(b).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(a->SetParent(a).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(a->SetParent(nullptr).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(b->SetParent(Greenlet::CurrentShared()).ok());
  });
}

TEST(GreenletTest, ExceptionPropagatesToParent) {
  InFreshThread([] {
    auto g = Greenlet::Create([](std::any) -> std::any { throw std::runtime_error("boom"); });
    try {
      g->Switch();
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "boom");
    }
    EXPECT_TRUE(g->dead());
  });
}

TEST(GreenletTest, GreenletExitEndsQuietlyWithItsValue) {
  InFreshThread([] {
    auto g = Greenlet::Create([](std::any) -> std::any { throw GreenletExit(std::string("bye")); });
    std::any r;
    EXPECT_NO_THROW(r = g->Switch());
    EXPECT_EQ(std::any_cast<std::string>(r), "bye");
    EXPECT_TRUE(g->dead());
  });
}

TEST(GreenletTest, ThrowRaisesInsideSuspendedGreenlet) {
  InFreshThread([] {
    Greenlet* root = Greenlet::Current();
    std::string seen;
    auto g = Greenlet::Create([&](std::any) -> std::any {
      try {
        root->Switch();
      } catch (const std::out_of_range& e) {
        seen = e.what();
        return 1;
      }
      return 0;
    });
    g->Switch();
    EXPECT_EQ(std::any_cast<int>(g->Throw(std::make_exception_ptr(std::out_of_range("oops")))), 1);
    EXPECT_EQ(seen, "oops");
    EXPECT_TRUE(g->dead());
  });
}

TEST(GreenletTest, ThrowUncaughtComesBackToThrower) {
  InFreshThread([] {
    Greenlet* root = Greenlet::Current();
    auto g = Greenlet::Create([&](std::any) -> std::any {
      root->Switch();
      return 0;
    });
    g->Switch();
    EXPECT_THROW(g->Throw(std::make_exception_ptr(std::logic_error("x"))), std::logic_error);
    EXPECT_TRUE(g->dead());
  });
}

TEST(GreenletTest, ThrowGreenletExitKillsQuietly) {
  InFreshThread([] {
    Greenlet* root = Greenlet::Current();
    bool after = false;
    auto g = Greenlet::Create([&](std::any) -> std::any {
      root->Switch();
      after = true;
      return {};
    });
    g->Switch();
    EXPECT_NO_THROW(g->Throw());
    EXPECT_TRUE(g->dead());
    EXPECT_FALSE(after);
  });
}

TEST(GreenletTest, ThrowIntoUnstartedGreenletNeverRunsIt) {
  InFreshThread([] {
    bool ran = false;
    auto g = Greenlet::Create([&](std::any) -> std::any {
      ran = true;
      return {};
    });
    EXPECT_THROW(g->Throw(std::make_exception_ptr(std::runtime_error("early"))),
                 std::runtime_error);
    EXPECT_FALSE(ran);
    EXPECT_TRUE(g->dead());
  });
}

struct Tracker {
  explicit Tracker(int* n) : counter(n) {}
  ~Tracker() { ++*counter; }
  int* counter;
};

TEST(GreenletTest, DestroyingSuspendedGreenletRunsItsDestructors) {
  InFreshThread([] {
    int destroyed = 0;
    bool saw_exit = false;
    Greenlet* root = Greenlet::Current();
    {
      auto g = Greenlet::Create([&](std::any) -> std::any {
        Tracker outer(&destroyed);
        try {
          Tracker inner(&destroyed);
          root->Switch();
        } catch (const GreenletExit&) {
          saw_exit = true;
          throw;
        }
        return {};
      });
      g->Switch();
      EXPECT_EQ(destroyed, 0);
    }  // last reference dropped while suspended
    EXPECT_EQ(destroyed, 2);
    EXPECT_TRUE(saw_exit);
  });
}

TEST(GreenletTest, NeverStartedGreenletIsJustFreed) {
  InFreshThread([] {
    int destroyed = 0;
    {
      auto tracker = std::make_shared<Tracker>(&destroyed);
      auto g = Greenlet::Create([tracker](std::any) -> std::any { return {}; });
      tracker.reset();
      EXPECT_EQ(destroyed, 0);  // owned by the function
    }
    EXPECT_EQ(destroyed, 1);
  });
}

TEST(GreenletTest, ManyNestedGreenlets) {
  InFreshThread([] {
    // A chain 100 deep, each child created and switched to by its parent.
    std::function<int(int)> dive = [&](int depth) -> int {
      if (depth == 0) return 0;
      auto g = Greenlet::Create([&, depth](std::any) -> std::any { return dive(depth - 1) + 1; });
      return std::any_cast<int>(g->Switch());
    };
    EXPECT_EQ(dive(100), 100);
  });
}

// greenlet test_throw.py, test_kill: GreenletExit thrown into a dead greenlet is eaten by it and
// comes back as its result, as if it had just been killed.
TEST(GreenletTest, ThrowGreenletExitIntoDeadGreenletReturnsItsValue) {
  InFreshThread([] {
    Greenlet* root = Greenlet::Current();
    auto g = Greenlet::Create([&](std::any) -> std::any {
      root->Switch(std::string("ok"));
      root->Switch(std::string("fail"));
      return {};
    });
    EXPECT_EQ(std::any_cast<std::string>(g->Switch()), "ok");
    std::any first;
    EXPECT_NO_THROW(first = g->Throw());
    EXPECT_FALSE(first.has_value());
    EXPECT_TRUE(g->dead());
    std::any second;
    EXPECT_NO_THROW(second = g->Throw(std::make_exception_ptr(GreenletExit(7))));
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(std::any_cast<int>(second), 7);
    // Any other exception still lands in the live ancestor, here the thrower.
    EXPECT_THROW(g->Throw(std::make_exception_ptr(std::runtime_error("x"))), std::runtime_error);
  });
}

// greenlet test_greenlet.py, test_dealloc_catches_GreenletExit_throws_other: an exception thrown
// by a greenlet unwinding at its destruction cannot be delivered anywhere, so it is reported on
// stderr, naming the greenlet and the exception, instead of vanishing.
TEST(GreenletTest, ExceptionThrownWhileUnwindingAtDestructionIsReported) {
  InFreshThread([] {
    Greenlet* root = Greenlet::Current();
    auto g = Greenlet::Create([&](std::any) -> std::any {
      try {
        root->Switch();
      } catch (const GreenletExit&) {
        throw std::runtime_error("refusing politely");
      }
      return {};
    });
    g->Switch();
    char name[32];
    std::snprintf(name, sizeof name, "%p", static_cast<void*>(g.get()));
    ::testing::internal::CaptureStderr();
    EXPECT_NO_THROW(g.reset());  // it cannot escape the destructor either
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("refusing politely"), std::string::npos) << err;
    EXPECT_NE(err.find(name), std::string::npos) << err;
  });
}

// greenlet test_greenlet.py, test_switch_to_another_thread (switching to a greenlet of another
// thread is an error): detected before any context switch; the message names the greenlet and
// both threads.
TEST(GreenletDeathTest, SwitchFromAnotherThreadIsStoppedWithAMessage) {
  // "fast": the child is a fork of this process, so the greenlet keeps its address there.
  GTEST_FLAG_SET(death_test_style, "fast");
  InFreshThread([] {
    auto g = Greenlet::Create([](std::any) -> std::any { return {}; });
    char name[32];
    std::snprintf(name, sizeof name, "%p", static_cast<void*>(g.get()));
    const std::string expected = std::string("switch to greenlet ") + name +
                                 " from thread [0-9]+: it belongs to thread [0-9]+";
    EXPECT_DEATH(
        {
          std::thread other([&] { g->Switch(); });
          other.join();
        },
        expected);
  });
}

// greenlet test_greenlet.py, TestGreenletSetParentErrors.test_threaded_reparent.
TEST(GreenletTest, SetParentRefusesAGreenletOfAnotherThread) {
  std::shared_ptr<Greenlet> foreign;
  InFreshThread([&] { foreign = Greenlet::Create([](std::any) -> std::any { return {}; }); });
  InFreshThread([&] {
    auto g = Greenlet::Create([](std::any) -> std::any { return {}; });
    absl::Status s = g->SetParent(foreign);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_NE(s.message().find("belongs to thread"), std::string::npos) << s;
  });
}

}  // namespace
}  // namespace corral::coro
