#include "servers/cooperative/queue.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "servers/cooperative/where.h"
#include "servers/coro/hub.h"
#include "tests/servers/cooperative/hub_thread.h"

namespace corral::cooperative {
namespace {

using namespace std::chrono_literals;
using testing::HubThread;

void* Item(uintptr_t i) { return reinterpret_cast<void*>(i); }
constexpr base::Deadline kNever = base::Deadline::max();
base::Deadline In(std::chrono::milliseconds d) { return base::Clock::now() + d; }

// The chat room's shape: a bounded queue read by a greenlet on hub A while greenlets on hub B
// and a plain thread fill it. Every item arrives once; the getter parked (its hub kept serving).
TEST(QueueTest, CarriesItemsFromAnotherHubAndAThreadToAGreenlet) {
  HubThread a, b;
  Queue queue(4);
  constexpr int kPerProducer = 500;
  std::latch done(1);
  std::multiset<uintptr_t> got;
  std::atomic<bool> getter_on_hub{false};
  a.Spawn([&] {
    getter_on_hub = CurrentHub() == a.hub();
    for (int i = 0; i < 2 * kPerProducer; ++i) {
      absl::StatusOr<void*> item = queue.Get(In(10s));
      ASSERT_TRUE(item.ok()) << item.status();
      got.insert(reinterpret_cast<uintptr_t>(*item));
    }
    done.count_down();
  });
  b.Spawn([&] {
    for (int i = 0; i < kPerProducer; ++i) ASSERT_TRUE(queue.Put(Item(1 + i), In(10s)).ok());
  });
  std::thread producer([&] {
    for (int i = 0; i < kPerProducer; ++i) {
      ASSERT_TRUE(queue.Put(Item(100000 + i), In(10s)).ok());
    }
  });
  done.wait();
  producer.join();
  EXPECT_TRUE(getter_on_hub);
  ASSERT_EQ(got.size(), 2u * kPerProducer);
  for (int i = 0; i < kPerProducer; ++i) {
    EXPECT_EQ(got.count(1 + i), 1u);
    EXPECT_EQ(got.count(100000 + i), 1u);
  }
}

// A greenlet on hub B hands items to a thread blocked in Get.
TEST(QueueTest, ThreadGetsWhatAGreenletPuts) {
  HubThread b;
  Queue queue(0);
  b.Spawn([&] {
    for (uintptr_t i = 1; i <= 3; ++i) ASSERT_TRUE(queue.Put(Item(i), kNever).ok());
  });
  for (uintptr_t i = 1; i <= 3; ++i) {
    absl::StatusOr<void*> item = queue.Get(In(10s));
    ASSERT_TRUE(item.ok()) << item.status();
    EXPECT_EQ(*item, Item(i));
  }
}

// Close wakes a getter parked on another hub and a putter blocked on a full queue; what was
// queued is still drained, then Get fails.
TEST(QueueTest, CloseWakesWaitersOnHubsAndThreads) {
  HubThread a;
  Queue queue(1);
  ASSERT_TRUE(queue.Put(Item(7), kNever).ok());
  absl::Notification putter_done;
  absl::Status putter;
  std::thread blocked([&] {
    putter = queue.Put(Item(8), kNever);  // full: waits until the close
    putter_done.Notify();
  });
  Queue empty(0);
  absl::Notification getter_done;
  absl::Status getter;
  a.Spawn([&] {
    getter = empty.Get(kNever).status();
    getter_done.Notify();
  });
  std::this_thread::sleep_for(20ms);  // let both wait (the test holds without it, less sharply)
  queue.Close();
  empty.Close();
  ASSERT_TRUE(putter_done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_TRUE(getter_done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  blocked.join();
  EXPECT_EQ(putter.code(), absl::StatusCode::kFailedPrecondition) << putter;
  EXPECT_EQ(getter.code(), absl::StatusCode::kFailedPrecondition) << getter;
  absl::StatusOr<void*> left = queue.Get(kNever);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, Item(7));
  EXPECT_EQ(queue.Get(kNever).status().code(), absl::StatusCode::kFailedPrecondition);
}

// A getter's deadline ends its wait on a hub and on a thread alike.
TEST(QueueTest, GetTimesOutOnAHubAndOnAThread) {
  HubThread a;
  Queue queue(0);
  absl::Notification done;
  absl::Status on_hub;
  a.Spawn([&] {
    on_hub = queue.Get(In(20ms)).status();
    done.Notify();
  });
  EXPECT_EQ(queue.Get(In(20ms)).status().code(), absl::StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(on_hub.code(), absl::StatusCode::kDeadlineExceeded) << on_hub;
}

// A greenlet killed while it waits (the drain's cut, here the hub's end) gets CANCELLED, and
// every later call from it returns CANCELLED at once.
TEST(QueueTest, KilledGreenletGetsCancelledAndStaysCancelled) {
  Queue queue(0);
  absl::Status first, second;
  absl::Notification waiting;
  {
    HubThread a;
    a.Spawn([&] {
      waiting.Notify();
      first = queue.Get(kNever).status();
      second = queue.Put(Item(1), kNever);
    });
    waiting.WaitForNotification();
  }  // ~HubThread: the hub kills what is still alive
  EXPECT_EQ(first.code(), absl::StatusCode::kCancelled) << first;
  EXPECT_EQ(second.code(), absl::StatusCode::kCancelled) << second;
  EXPECT_EQ(queue.size(), 0u);
}

}  // namespace
}  // namespace corral::cooperative
