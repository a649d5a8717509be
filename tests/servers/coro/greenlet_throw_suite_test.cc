// Greenlet held to the behaviour python-greenlet's test_throw.py and test_generator.py check
// (test_greenlet.py's cases are in greenlet_suite_test.cc). Each case names the Python test whose
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
// test_throw.py, test_class: Throw() with no argument raises GreenletExit, which ends the
// greenlet quietly: the caller gets an empty result, no exception.
TEST(GreenletSuiteTest, ThrowDefaultIsGreenletExit) {
  InFreshThread([] {
    bool saw_exit = false;
    auto g = Greenlet::Create([&](std::any) -> std::any {
      try {
        Greenlet::Current()->parent()->Switch();
      } catch (const GreenletExit&) {
        saw_exit = true;
        throw;
      }
      return 1;
    });
    g->Switch();
    std::any r = g->Throw();
    EXPECT_TRUE(saw_exit);
    EXPECT_FALSE(r.has_value());
    EXPECT_TRUE(g->dead());
  });
}

// test_throw.py, test_val: an exception object thrown in keeps its value; GreenletExit's value
// becomes the greenlet's result.
TEST(GreenletSuiteTest, ThrowCarriesValue) {
  InFreshThread([] {
    std::string seen;
    auto g = Greenlet::Create([&](std::any) -> std::any {
      try {
        Greenlet::Current()->parent()->Switch();
      } catch (const std::runtime_error& e) {
        seen = e.what();
      }
      Greenlet::Current()->parent()->Switch();
      return {};
    });
    g->Switch();
    g->Throw(std::make_exception_ptr(std::runtime_error("value 42")));
    EXPECT_EQ(seen, "value 42");
    std::any r = g->Throw(std::make_exception_ptr(GreenletExit(std::string("bye"))));
    EXPECT_EQ(std::any_cast<std::string>(r), "bye");
    EXPECT_TRUE(g->dead());
  });
}

// test_throw.py, test_throw_goes_to_original_parent: an exception a greenlet does not catch
// goes to its parent, even when someone else threw it in.
TEST(GreenletSuiteTest, ThrowGoesToOriginalParent) {
  InFreshThread([] {
    std::vector<std::string> log;
    std::shared_ptr<Greenlet> g1, g2;
    g1 = Greenlet::Create([&](std::any) -> std::any {
      try {
        Greenlet::Current()->parent()->Switch();  // to the root
      } catch (const std::runtime_error&) {
        log.push_back("g1 caught");
        throw;
      }
      return {};
    });
    g2 = Greenlet::Create([&](std::any) -> std::any {
      // g1's parent is the root, so g1's uncaught error lands in the root, not here.
      g1->Throw(std::make_exception_ptr(std::runtime_error("x")));
      log.push_back("g2 resumed");
      return {};
    });
    g1->Switch();
    EXPECT_THROW(g2->Switch(), std::runtime_error);
    EXPECT_EQ(log, (std::vector<std::string>{"g1 caught"}));
    EXPECT_TRUE(g1->dead());
    EXPECT_TRUE(g2->active());
  });
}

// test_throw.py, test_throw_goes_to_original_parent (second half): Throw into a greenlet that has
// not started kills it before its function runs, and the error goes to its parent.
TEST(GreenletSuiteTest, ThrowIntoUnstarted) {
  InFreshThread([] {
    bool ran = false;
    auto g = Greenlet::Create([&](std::any) -> std::any {
      ran = true;
      return {};
    });
    EXPECT_THROW(g->Throw(std::make_exception_ptr(std::logic_error("early"))), std::logic_error);
    EXPECT_FALSE(ran);
    EXPECT_TRUE(g->dead());
  });
}

// test_generator.py, test_generator: a generator built from greenlets yields its values in order
// and ends when its function returns.
TEST(GreenletSuiteTest, Generator) {
  InFreshThread([] {
    struct End {};
    auto gen = Greenlet::Create([](std::any v) -> std::any {
      int n = std::any_cast<int>(v);
      for (int i = 0; i < n; ++i) Greenlet::Current()->parent()->Switch(i);
      return End{};
    });
    std::vector<int> got;
    for (std::any r = gen->Switch(5); r.type() == typeid(int); r = gen->Switch()) {
      got.push_back(std::any_cast<int>(r));
    }
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_TRUE(gen->dead());
  });
}
}  // namespace
}  // namespace corral::coro
