#include "servers/cooperative/task.h"

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>

#include "gtest/gtest.h"
#include "servers/cooperative/event.h"
#include "servers/cooperative/sleep.h"
#include "servers/cooperative/where.h"
#include "servers/coro/task.h"
#include "tests/servers/cooperative/hub_thread.h"

namespace corral::cooperative {
namespace {

using namespace std::chrono_literals;
using testing::HubThread;

base::Deadline In(std::chrono::milliseconds d) { return base::Clock::now() + d; }

// From a greenlet, a sub-task is a greenlet of the same hub (same thread).
TEST(TaskTest, SpawnedFromAGreenletRunsOnTheSameHub) {
  HubThread a;
  std::latch done(1);
  coro::Hub* sub_hub = nullptr;
  std::thread::id sub_thread;
  absl::Status joined;
  a.Spawn([&] {
    absl::StatusOr<std::unique_ptr<Task>> task = Task::Spawn([&] {
      sub_hub = CurrentHub();
      sub_thread = std::this_thread::get_id();
    });
    ASSERT_TRUE(task.ok());
    joined = (*task)->Join(In(10s));
    done.count_down();
  });
  done.wait();
  EXPECT_TRUE(joined.ok()) << joined;
  EXPECT_EQ(sub_hub, a.hub());
}

// From a plain thread, a sub-task is a thread; a greenlet on a hub may join it.
TEST(TaskTest, SpawnedFromAThreadIsAThreadJoinableFromAHub) {
  HubThread a;
  Event release;
  std::atomic<bool> on_other_thread{false};
  const std::thread::id me = std::this_thread::get_id();
  absl::StatusOr<std::unique_ptr<Task>> task = Task::Spawn([&] {
    on_other_thread = std::this_thread::get_id() != me && CurrentHub() == nullptr;
    (void)release.Wait(In(10s));
  });
  ASSERT_TRUE(task.ok());
  EXPECT_EQ((*task)->Join(In(20ms)).code(), absl::StatusCode::kDeadlineExceeded);  // still runs
  std::latch done(1);
  absl::Status joined;
  a.Spawn([&] {
    release.Set();
    joined = (*task)->Join(In(10s));
    done.count_down();
  });
  done.wait();
  EXPECT_TRUE(joined.ok()) << joined;
  EXPECT_TRUE(on_other_thread);
}

// A sub-greenlet killed with its hub while it waits still completes its join (from a thread),
// and its wait returned CANCELLED.
TEST(TaskTest, JoinReturnsForASubGreenletKilledWithItsHub) {
  std::unique_ptr<Task> orphan;
  absl::Status sub;
  {
    HubThread a;
    std::latch spawned(1);
    a.Spawn([&] {
      absl::StatusOr<std::unique_ptr<Task>> task = Task::Spawn([&] {
        Event never;
        spawned.count_down();
        sub = never.Wait(base::Deadline::max());
      });
      ASSERT_TRUE(task.ok());
      orphan = *std::move(task);
    });
    spawned.wait();
  }
  ASSERT_NE(orphan, nullptr);
  EXPECT_TRUE(orphan->Join(In(10s)).ok());
  EXPECT_EQ(sub.code(), absl::StatusCode::kCancelled) << sub;
}

// A greenlet killed (the drain's cut) while its sub-task still runs gets CANCELLED from its
// waits, but its join still waits for the sub-task: that may be using what the caller owns.
TEST(TaskTest, CancelledCallerStillJoinsItsSubTask) {
  HubThread a;
  std::latch done(1);
  absl::Status waited, joined;
  std::atomic<bool> sub_finished{false};
  bool finished_at_join = false;
  a.Spawn([&] {
    coro::Handle<void> caller = coro::Spawn([&] {
      absl::StatusOr<std::unique_ptr<Task>> sub = Task::Spawn([&] {
        (void)SleepUntil(In(50ms));
        sub_finished = true;
      });
      ASSERT_TRUE(sub.ok());
      Event never;
      waited = never.Wait(base::Deadline::max());
      joined = (*sub)->Join(In(10s));
      finished_at_join = sub_finished;
      done.count_down();
    });
    (void)SleepUntil(In(10ms));
    caller.Kill(/*block=*/false);
  });
  done.wait();
  EXPECT_EQ(waited.code(), absl::StatusCode::kCancelled) << waited;
  EXPECT_TRUE(joined.ok()) << joined;
  EXPECT_TRUE(finished_at_join);
}

}  // namespace
}  // namespace corral::cooperative
