// Timeout held to the behaviour gevent's src/gevent/tests/test__timeout.py checks. Each case
// names the Python test whose behaviour it checks; the code is Corral's own.
#include <chrono>

#include "gtest/gtest.h"
#include "servers/coro/hub.h"
#include "servers/coro/timeout.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

// test__timeout.py, Test.test_expires / test_context_manager: a blocking call that outlasts the
// Timeout raises TimeoutExpired from that Timeout, and it is marked expired.
TEST(GeventTimeoutSuiteTest, Expires) {
  InFreshThread([] {
    Timeout t(10ms);
    try {
      Sleep(1h);
      ADD_FAILURE() << "slept through the timeout";
    } catch (const TimeoutExpired& e) {
      EXPECT_TRUE(e.From(t));
    }
    EXPECT_TRUE(t.expired());
  });
}

// test__timeout.py, Test.test_expires_false (Corral: an inert Timeout is Deadline::Never()):
// a Timeout that never expires never interrupts.
TEST(GeventTimeoutSuiteTest, NeverExpires) {
  InFreshThread([] {
    Timeout t(Deadline::Never());
    Sleep(5ms);
    EXPECT_FALSE(t.expired());
  });
}

// test__timeout.py, Test.test_cancel: a cancelled Timeout does not fire later.
TEST(GeventTimeoutSuiteTest, Cancel) {
  InFreshThread([] {
    Timeout t(5ms);
    t.Cancel();
    Sleep(20ms);  // would have been interrupted
    EXPECT_FALSE(t.expired());
  });
}

// test__timeout.py, Test.test_context_manager (exit before expiry): a Timeout destroyed before its
// deadline leaves later blocking calls alone.
TEST(GeventTimeoutSuiteTest, ScopeExitBeforeExpiry) {
  InFreshThread([] {
    {
      Timeout t(5ms);
      Sleep(0ms);
    }
    Sleep(20ms);  // would throw if the destroyed Timeout still fired
    SUCCEED();
  });
}

// test__timeout.py, Test.test_with_timeout: WithTimeout reports whether the body was cut short.
TEST(GeventTimeoutSuiteTest, WithTimeout) {
  InFreshThread([] {
    EXPECT_FALSE(WithTimeout(5ms, [] { Sleep(1h); }));
    EXPECT_TRUE(WithTimeout(1h, [] { Sleep(1ms); }));
  });
}

// test__timeout.py, Test.test_expires (a body that never blocks): code that does not block is
// never interrupted, even past the deadline (Corral documents this in timeout.h).
TEST(GeventTimeoutSuiteTest, NonBlockingCodeIsNotInterrupted) {
  InFreshThread([] {
    Timeout t(1ms);
    const auto until = Clock::now() + 5ms;
    while (Clock::now() < until) {
    }
    EXPECT_THROW(Sleep(1h), TimeoutExpired);  // raised at the next blocking point
  });
}

}  // namespace
}  // namespace corral::coro
