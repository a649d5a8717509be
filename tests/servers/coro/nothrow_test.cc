// The status forms of the blocking calls (nothrow.h): a kill is CANCELLED, and sticks; a
// Timeout is DEADLINE_EXCEEDED; nothing is thrown.
#include "servers/coro/nothrow.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "servers/coro/task.h"
#include "servers/coro/timeout.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::InFreshThread;

TEST(NothrowTest, AKilledSleepReturnsCancelledAndEveryLaterCallDoesAtOnce) {
  InFreshThread([] {
    std::vector<absl::Status> seen;
    bool threw = false;
    Handle<void> sleeper = Spawn([&] {
      try {
        seen.push_back(nothrow::Sleep(seconds(30)));
        // The status was ignored: the next calls must not park again.
        seen.push_back(nothrow::Sleep(seconds(30)));
        seen.push_back(nothrow::Sleep(Clock::duration::zero()));
      } catch (...) {
        threw = true;
      }
    });
    Yield();  // the sleeper parks
    EXPECT_TRUE(sleeper.Kill(/*block=*/true, Deadline(seconds(5))));
    EXPECT_FALSE(threw);
    ASSERT_EQ(seen.size(), 3u);
    for (const absl::Status& s : seen) {
      EXPECT_TRUE(absl::IsCancelled(s)) << s;
      EXPECT_EQ(s.message(), "sleep: cancelled: the greenlet was killed");
    }
  });
}

TEST(NothrowTest, AGreenletExitRaisedOtherwiseAlsoSticks) {
  InFreshThread([] {
    std::vector<absl::Status> seen;
    Handle<void> sleeper = Spawn([&] {
      seen.push_back(nothrow::Sleep(seconds(30)));
      seen.push_back(nothrow::Sleep(seconds(30)));
    });
    Yield();
    // Not through Kill: the status call itself must remember it.
    Hub::Current().Interrupt(sleeper.task().get(), std::make_exception_ptr(GreenletExit()));
    EXPECT_TRUE(sleeper.Join(Deadline(seconds(5))));
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_TRUE(absl::IsCancelled(seen[0])) << seen[0];
    EXPECT_TRUE(absl::IsCancelled(seen[1])) << seen[1];
  });
}

TEST(NothrowTest, AKilledAcceptReturnsCancelledAndSticks) {
  InFreshThread([] {
    testing::Fd listener = testing::Listen();
    std::vector<absl::StatusOr<int>> seen;
    Handle<void> acceptor = Spawn([&] {
      seen.push_back(nothrow::Accept(listener.get()));
      seen.push_back(nothrow::Accept(listener.get()));
    });
    Yield();
    EXPECT_TRUE(acceptor.Kill(/*block=*/true, Deadline(seconds(5))));
    ASSERT_EQ(seen.size(), 2u);
    for (const auto& s : seen) EXPECT_TRUE(absl::IsCancelled(s.status())) << s.status();
    EXPECT_NE(seen[0].status().message().find("accept fd "), std::string::npos);
  });
}

TEST(NothrowTest, ATimeoutIsDeadlineExceededAndDoesNotCancel) {
  InFreshThread([] {
    Timeout timeout(Deadline(milliseconds(10)));
    absl::Status first = nothrow::Sleep(seconds(30));
    EXPECT_TRUE(absl::IsDeadlineExceeded(first)) << first;
    EXPECT_TRUE(timeout.expired());
    EXPECT_FALSE(nothrow::Cancelled());
    EXPECT_TRUE(nothrow::Sleep(milliseconds(1)).ok());  // a timeout is not sticky
  });
}

TEST(NothrowTest, CallPassesResultsThrough) {
  InFreshThread([] {
    absl::StatusOr<int> v = nothrow::Call("compute", -1, [] { return absl::StatusOr<int>(7); });
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, 7);
    absl::Status e = nothrow::Call("compute", 3, [] { return absl::InternalError("boom"); });
    EXPECT_EQ(e, absl::InternalError("boom"));
  });
}

}  // namespace
}  // namespace corral::coro
