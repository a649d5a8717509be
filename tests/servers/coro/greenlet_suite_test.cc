// Greenlet held to the behaviour python-greenlet's test_greenlet.py checks (test_throw.py and
// test_generator.py: greenlet_throw_suite_test.cc). Each case names the Python test whose
// behaviour it checks; the code is Corral's own. Where Corral deliberately differs, the case
// asserts Corral's documented behaviour (greenlet.h) and says so.
#include <any>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/greenlet.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using testing::InFreshThread;

// test_greenlet.py, test_simple: control moves only at switches, in the order they are made.
TEST(GreenletSuiteTest, Simple) {
  InFreshThread([] {
    std::vector<int> log;
    auto g = Greenlet::Create([&](std::any) -> std::any {
      log.push_back(1);
      Greenlet::Current()->parent()->Switch();
      log.push_back(3);
      return {};
    });
    log.push_back(0);
    g->Switch();
    log.push_back(2);
    g->Switch();
    log.push_back(4);
    EXPECT_EQ(log, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_TRUE(g->dead());
  });
}

// test_greenlet.py, test_two_children: two suspended children resume independently.
TEST(GreenletSuiteTest, TwoChildren) {
  InFreshThread([] {
    std::vector<std::string> log;
    auto body = [&](std::any v) -> std::any {
      std::string name = std::any_cast<std::string>(v);
      log.push_back(name + "1");
      Greenlet::Current()->parent()->Switch();
      log.push_back(name + "2");
      return {};
    };
    auto a = Greenlet::Create(body);
    auto b = Greenlet::Create(body);
    a->Switch(std::string("a"));
    b->Switch(std::string("b"));
    EXPECT_TRUE(a->active());
    EXPECT_TRUE(b->active());
    b->Switch();
    a->Switch();
    EXPECT_EQ(log, (std::vector<std::string>{"a1", "b1", "b2", "a2"}));
    EXPECT_TRUE(a->dead());
    EXPECT_TRUE(b->dead());
  });
}

// test_greenlet.py, test_two_recursive_children: a greenlet created inside a greenlet has it as
// parent, and finishing returns there, not to the root.
TEST(GreenletSuiteTest, TwoRecursiveChildren) {
  InFreshThread([] {
    std::vector<std::string> log;
    Greenlet* outer_self = nullptr;
    auto outer = Greenlet::Create([&](std::any) -> std::any {
      outer_self = Greenlet::Current();
      auto inner = Greenlet::Create([&](std::any) -> std::any {
        EXPECT_EQ(Greenlet::Current()->parent(), outer_self);
        log.push_back("inner");
        return 7;
      });
      int r = std::any_cast<int>(inner->Switch());
      log.push_back("outer got " + std::to_string(r));
      return r + 1;
    });
    EXPECT_EQ(std::any_cast<int>(outer->Switch()), 8);
    EXPECT_EQ(log, (std::vector<std::string>{"inner", "outer got 7"}));
  });
}

// test_greenlet.py, test_threads: each thread switches its own greenlets, concurrently.
TEST(GreenletSuiteTest, Threads) {
  std::vector<std::thread> threads;
  std::vector<int> results(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &results] {
      int sum = 0;
      auto g = Greenlet::Create([&](std::any) -> std::any {
        for (int i = 0; i < 100; ++i) {
          sum += i;
          Greenlet::Current()->parent()->Switch();
        }
        return {};
      });
      while (!g->dead()) g->Switch();
      results[t] = sum;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(results, (std::vector<int>(4, 4950)));
}

// test_greenlet.py, test_exception: an exception leaving a greenlet is raised in its parent at
// the parent's pending Switch, and the greenlet is dead.
TEST(GreenletSuiteTest, Exception) {
  InFreshThread([] {
    auto g = Greenlet::Create([](std::any) -> std::any { throw std::runtime_error("boom"); });
    EXPECT_THROW(g->Switch(), std::runtime_error);
    EXPECT_TRUE(g->dead());
  });
}

// test_greenlet.py, test_send_exception: Throw raises inside the suspended greenlet; uncaught
// there, it comes back out in the parent.
TEST(GreenletSuiteTest, SendException) {
  InFreshThread([] {
    auto g = Greenlet::Create([](std::any) -> std::any {
      Greenlet::Current()->parent()->Switch();
      ADD_FAILURE() << "resumed normally after Throw";
      return {};
    });
    g->Switch();
    EXPECT_THROW(g->Throw(std::make_exception_ptr(std::out_of_range("key"))), std::out_of_range);
    EXPECT_TRUE(g->dead());
  });
}

// test_greenlet.py, test_dealloc: dropping a suspended greenlet raises GreenletExit in it, so
// its cleanup runs; an unstarted one is simply freed, never run.
TEST(GreenletSuiteTest, Dealloc) {
  InFreshThread([] {
    std::vector<std::string> log;
    auto started = Greenlet::Create([&](std::any) -> std::any {
      try {
        Greenlet::Current()->parent()->Switch();
      } catch (const GreenletExit&) {
        log.push_back("exit");
        throw;
      }
      return {};
    });
    auto never = Greenlet::Create([&](std::any) -> std::any {
      log.push_back("never");
      return {};
    });
    started->Switch();
    started.reset();
    never.reset();
    EXPECT_EQ(log, (std::vector<std::string>{"exit"}));
  });
}

// test_greenlet.py, test_parent_restored_on_kill (as greenlet.h documents it): while a dropped
// greenlet unwinds, its parent is the greenlet that dropped it, so its exit returns there.
TEST(GreenletSuiteTest, KillReturnsToTheDestroyer) {
  InFreshThread([] {
    Greenlet* parent_seen = nullptr;
    Greenlet* destroyer = nullptr;
    auto other = Greenlet::Create([](std::any) -> std::any { return {}; });
    auto g = Greenlet::Create(
        [&](std::any) -> std::any {
          try {
            Greenlet::Current()->parent()->Switch();
          } catch (const GreenletExit&) {
            parent_seen = Greenlet::Current()->parent();
            throw;
          }
          return {};
        },
        nullptr);
    g->Switch();
    auto killer = Greenlet::Create([&](std::any) -> std::any {
      destroyer = Greenlet::Current();
      g.reset();
      return {};
    });
    killer->Switch();
    EXPECT_NE(destroyer, nullptr);
    EXPECT_EQ(parent_seen, destroyer);
  });
}

// test_greenlet.py, test_switch_kwargs_to_parent: a value switched to the parent is what the
// parent's Switch returns, and the next switch's value is what the child's Switch returns.
TEST(GreenletSuiteTest, SwitchValuesToParent) {
  InFreshThread([] {
    auto g = Greenlet::Create([](std::any v) -> std::any {
      int x = std::any_cast<int>(v);
      int y = std::any_cast<int>(Greenlet::Current()->parent()->Switch(x * 10));
      return x + y;
    });
    EXPECT_EQ(std::any_cast<int>(g->Switch(4)), 40);
    EXPECT_EQ(std::any_cast<int>(g->Switch(5)), 9);
  });
}

// test_greenlet.py, test_throw_exception_not_lost: an exception thrown into a greenlet that
// catches it and switches to its parent is caught there, not re-raised or lost.
TEST(GreenletSuiteTest, ThrowExceptionNotLost) {
  InFreshThread([] {
    std::string caught;
    auto g = Greenlet::Create([&](std::any) -> std::any {
      try {
        Greenlet::Current()->parent()->Switch();
      } catch (const std::invalid_argument& e) {
        caught = e.what();
      }
      Greenlet::Current()->parent()->Switch(std::string("after"));
      return {};
    });
    g->Switch();
    std::any r = g->Throw(std::make_exception_ptr(std::invalid_argument("lost?")));
    EXPECT_EQ(caught, "lost?");
    EXPECT_EQ(std::any_cast<std::string>(r), "after");
    EXPECT_TRUE(g->active());
  });
}

// test_greenlet.py, test_falling_off_end_switches_to_unstarted_parent_works: a child whose parent
// has not started yet starts that parent with the child's result when it returns.
TEST(GreenletSuiteTest, FallingOffEndStartsUnstartedParent) {
  InFreshThread([] {
    auto parent =
        Greenlet::Create([](std::any v) -> std::any { return std::any_cast<int>(v) + 1; });
    auto child = Greenlet::Create([](std::any) -> std::any { return 41; }, parent);
    EXPECT_EQ(std::any_cast<int>(child->Switch()), 42);
    EXPECT_TRUE(parent->dead());
    EXPECT_TRUE(child->dead());
  });
}

// test_greenlet.py, test_switch_to_dead_greenlet_reparent: switching to a dead greenlet goes to
// its nearest live ancestor, which receives the value.
TEST(GreenletSuiteTest, SwitchToDeadGreenletGoesToParent) {
  InFreshThread([] {
    auto dead = Greenlet::Create([](std::any) -> std::any { return {}; });
    dead->Switch();
    ASSERT_TRUE(dead->dead());
    auto alive = Greenlet::Create([&](std::any) -> std::any {
      // dead's parent is the root: switching to dead lands in the root.
      dead->Switch(std::string("to root"));
      return {};
    });
    EXPECT_EQ(std::any_cast<std::string>(alive->Switch()), "to root");
    EXPECT_TRUE(alive->active());
  });
}

// test_greenlet.py, test_trivial_cycle: a greenlet cannot be its own parent.
TEST(GreenletSuiteTest, TrivialCycle) {
  InFreshThread([] {
    auto g = Greenlet::Create([](std::any) -> std::any { return {}; });
    EXPECT_EQ(g->SetParent(g).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(g->parent(), Greenlet::Current());
  });
}

// test_greenlet.py, test_trivial_cycle_main: the root cannot be given a child as parent.
TEST(GreenletSuiteTest, TrivialCycleMain) {
  InFreshThread([] {
    auto root = Greenlet::CurrentShared();
    auto g = Greenlet::Create([](std::any) -> std::any { return {}; });
    EXPECT_EQ(root->SetParent(g).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(root->parent(), nullptr);
  });
}

// test_greenlet.py, test_deeper_cycle: a cycle through several greenlets is refused too.
TEST(GreenletSuiteTest, DeeperCycle) {
  InFreshThread([] {
    auto g1 = Greenlet::Create([](std::any) -> std::any { return {}; });
    auto g2 = Greenlet::Create([](std::any) -> std::any { return {}; }, g1);
    auto g3 = Greenlet::Create([](std::any) -> std::any { return {}; }, g2);
    EXPECT_EQ(g1->SetParent(g3).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(g1->parent(), Greenlet::Current());
  });
}

// test_greenlet.py, test_set_parent_wrong_types: a null parent is refused (Python: TypeError on
// a non-greenlet; the only ill-typed value C++ lets through is null).
TEST(GreenletSuiteTest, SetParentNull) {
  InFreshThread([] {
    auto g = Greenlet::Create([](std::any) -> std::any { return {}; });
    EXPECT_EQ(g->SetParent(nullptr).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(g->parent(), Greenlet::Current());
  });
}

// test_greenlet.py, test_main_greenlet_parent_is_none and test_main_while_running: the root
// greenlet has no parent, is current, started and never dead.
TEST(GreenletSuiteTest, RootGreenlet) {
  InFreshThread([] {
    Greenlet* root = Greenlet::Current();
    EXPECT_EQ(root->parent(), nullptr);
    EXPECT_TRUE(root->started());
    EXPECT_TRUE(root->active());
    EXPECT_FALSE(root->dead());
  });
}

// test_greenlet.py, test_initial and test_dead: a new greenlet is neither started nor dead; a
// finished one is dead and no longer active.
TEST(GreenletSuiteTest, InitialAndDead) {
  InFreshThread([] {
    bool was_active_inside = false;
    std::shared_ptr<Greenlet> g;
    g = Greenlet::Create([&](std::any) -> std::any {
      was_active_inside = g->active() && Greenlet::Current() == g.get();
      return {};
    });
    EXPECT_FALSE(g->started());
    EXPECT_FALSE(g->dead());
    EXPECT_FALSE(g->active());
    g->Switch();
    EXPECT_TRUE(was_active_inside);
    EXPECT_TRUE(g->dead());
    EXPECT_FALSE(g->active());
  });
}

// test_greenlet.py, test_failed_to_switch_into_running / test_reentrant_switch_*: switching to
// the running greenlet is a no-op that returns the value (greenlet raises nothing either).
TEST(GreenletSuiteTest, SwitchToSelfReturnsValue) {
  InFreshThread([] {
    EXPECT_EQ(std::any_cast<int>(Greenlet::Current()->Switch(5)), 5);
    auto g = Greenlet::Create([](std::any) -> std::any {
      return std::any_cast<int>(Greenlet::Current()->Switch(6)) + 1;
    });
    EXPECT_EQ(std::any_cast<int>(g->Switch()), 7);
  });
}

// test_greenlet.py, test_implicit_parent_with_threads: a greenlet's default parent is the
// current greenlet of the thread that creates it.
TEST(GreenletSuiteTest, ImplicitParentWithThreads) {
  InFreshThread([] {
    Greenlet* here = Greenlet::Current();
    Greenlet* other_root = nullptr;
    Greenlet* other_parent = nullptr;
    std::thread t([&] {
      other_root = Greenlet::Current();
      auto g = Greenlet::Create([](std::any) -> std::any { return {}; });
      other_parent = g->parent();
    });
    t.join();
    EXPECT_EQ(other_parent, other_root);
    EXPECT_NE(other_root, here);
  });
}

// test_greenlet.py, test_exc_state: the exception being handled belongs to the greenlet handling
// it: another greenlet, switched to from inside a catch handler, sees none, and the handler's
// greenlet still sees its own when it comes back.
TEST(GreenletSuiteTest, ExcState) {
  InFreshThread([] {
    bool none_in_child = false;
    bool own_after = false;
    auto f = Greenlet::Create([&](std::any) -> std::any {
      try {
        throw std::runtime_error("fun");
      } catch (...) {
        std::exception_ptr mine = std::current_exception();
        auto h = Greenlet::Create([&](std::any) -> std::any {
          none_in_child = std::current_exception() == nullptr;
          return {};
        });
        h->Switch();
        own_after = std::current_exception() == mine;
      }
      return {};
    });
    f->Switch();
    EXPECT_TRUE(none_in_child);
    EXPECT_TRUE(own_after);
    EXPECT_EQ(std::current_exception(), nullptr);
  });
}

// test_greenlet.py, test_exc_state (two handlers interleaved): two greenlets each suspended inside
// a catch handler leave their handlers in the opposite order they entered them; each still sees
// its own exception, and none is left as "being handled" afterwards.
TEST(GreenletSuiteTest, ExcStateInterleavedHandlers) {
  InFreshThread([] {
    std::vector<std::string> seen;
    auto body = [&](std::any v) -> std::any {
      const std::string name = std::any_cast<std::string>(v);
      try {
        throw std::runtime_error(name);
      } catch (const std::runtime_error&) {
        Greenlet::Current()->parent()->Switch();
        try {
          throw;
        } catch (const std::runtime_error& again) {
          seen.push_back(again.what());
        }
      }
      return {};
    };
    auto a = Greenlet::Create(body);
    auto b = Greenlet::Create(body);
    a->Switch(std::string("a"));
    b->Switch(std::string("b"));
    a->Switch();  // a leaves its handler first, though b entered its handler last
    b->Switch();
    EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(std::current_exception(), nullptr);
  });
}

}  // namespace
}  // namespace corral::coro
