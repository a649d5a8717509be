#include "servers/coro/wait_list.h"

#include <chrono>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "servers/coro/event.h"
#include "servers/coro/hub.h"
#include "servers/coro/pool.h"
#include "servers/coro/queue.h"
#include "servers/coro/semaphore.h"
#include "servers/coro/task.h"
#include "servers/coro/timeout.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

// Storage for one T whose bytes are overwritten with a non-null pattern once it is destroyed, so
// that a waiter that still follows a pointer into it crashes at once in an ordinary build (and
// is reported as heap-use-after-free under ASan, where the pattern changes nothing).
template <typename T>
class Poisoned {
 public:
  template <typename... Args>
  explicit Poisoned(Args&&... args) {
    new (bytes_) T(std::forward<Args>(args)...);
  }
  T& get() { return *std::launder(reinterpret_cast<T*>(bytes_)); }
  void Destroy() {
    get().~T();
    std::memset(bytes_, 0xA5, sizeof bytes_);
  }

 private:
  alignas(T) unsigned char bytes_[sizeof(T)];
};

// The case (`ev->Set(); ev.reset(); t.Kill();` crashed in ~Leave). No greenlet test has
// it: in Python the waiter keeps the Event alive; here the waiter must simply not touch it.
TEST(WaitListTest, NotifiedWaiterKilledAfterItsEventIsDestroyed) {
  InFreshThread([] {
    auto ev = std::make_unique<Poisoned<Event>>();
    Event* e = &ev->get();
    auto t = Spawn([e] { e->Wait(); });
    Yield();  // t parks in Wait
    e->Set();
    ev->Destroy();
    EXPECT_TRUE(t.Kill(/*block=*/true, Deadline(10s)));
    EXPECT_TRUE(t.killed());
  });
}

// The same through a Timeout that expires after the notification, before the waiter runs.
TEST(WaitListTest, NotifiedWaiterTimedOutAfterItsSemaphoreIsDestroyed) {
  InFreshThread([] {
    auto sem = std::make_unique<Poisoned<Semaphore>>();
    Semaphore* s = &sem->get();
    ASSERT_TRUE(s->TryAcquire());
    bool expired = false;
    auto t = Spawn([s, &expired] {
      try {
        Timeout timeout(Deadline(1ms));
        s->Acquire();
      } catch (const TimeoutExpired&) {
        expired = true;
      }
    });
    Yield();  // t parks in Acquire
    const Deadline due(2ms);
    s->Release();
    sem->Destroy();
    while (!due.Expired()) {
      // Spin without blocking: the hub must fire the Timeout before it resumes t.
    }
    EXPECT_TRUE(t.Join(Deadline(10s)));
    EXPECT_TRUE(expired);
  });
}

// The hub's shutdown kill: the test body returns while a Queue getter, handed an item, has not
// run yet; the Queue is gone when the hub kills the getter at thread exit.
TEST(WaitListTest, NotifiedWaiterKilledAtHubShutdownAfterItsQueueIsDestroyed) {
  Poisoned<Queue<int>> q;
  InFreshThread([&q] {
    Spawn([&q] { q.get().Get(); });
    Yield();  // the getter parks
    q.get().Put(1);
    q.Destroy();
  });
  SUCCEED();  // reaching here is the test: the old code crashed in the getter's unwinding
}

// The same for a Pool.Join waiter: the pool's last task ended and notified it, and the pool is
// destroyed before the joiner runs.
TEST(WaitListTest, NotifiedPoolJoinerKilledAfterThePoolIsDestroyed) {
  InFreshThread([] {
    auto pool = std::make_unique<Poisoned<Pool>>(1);
    Pool* p = &pool->get();
    Event go;
    p->Spawn([&go] { go.Wait(); });
    auto joiner = Spawn([p] { p->Join(); });
    Yield();  // the task and the joiner park
    go.Set();
    Yield();  // the task ends and notifies the joiner, which is queued behind us
    ASSERT_EQ(p->running(), 0u);
    pool->Destroy();
    EXPECT_TRUE(joiner.Kill(/*block=*/true, Deadline(10s)));
    EXPECT_TRUE(joiner.killed());
  });
}

// A waiter still parked when its list is destroyed has no object left to report on: when it
// resumes (here by its deadline) it gets an error instead of reading freed state.
TEST(WaitListTest, ParkedWaiterWhoseListIsDestroyedGetsAnErrorOnResume) {
  InFreshThread([] {
    auto ev = std::make_unique<Poisoned<Event>>();
    Event* e = &ev->get();
    auto t = Spawn([e] { return e->Wait(Deadline(5ms)); });
    Yield();
    ev->Destroy();
    EXPECT_TRUE(t.Join(Deadline(10s)));
    ASSERT_TRUE(t.exception() != nullptr);
    EXPECT_THROW(t.Get(), std::logic_error);
  });
}

// Notified, then the Event is destroyed, then the waiter runs normally: the Event was set, and
// Wait says so without reading it (gevent: the waiter's wait() returns True).
TEST(WaitListTest, NotifiedWaiterResumesNormallyAfterItsEventIsDestroyed) {
  InFreshThread([] {
    auto ev = std::make_unique<Poisoned<Event>>();
    Event* e = &ev->get();
    auto t = Spawn([e] { return e->Wait(); });
    Yield();
    e->Set();
    ev->Destroy();
    EXPECT_TRUE(t.Get());
  });
}

}  // namespace
}  // namespace corral::coro
