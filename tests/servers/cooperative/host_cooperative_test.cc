// The cooperative entries of the C host table, called as a plugin calls them: through the
// function pointers of a filled corral_host, from threads and from greenlets on two hubs.
#include "servers/handler/host_cooperative.h"

#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <latch>
#include <thread>

#include "gtest/gtest.h"
#include "tests/servers/cooperative/hub_thread.h"

namespace corral::handler {
namespace {

using cooperative::testing::HubThread;

corral_deadline In(int64_t ms) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec + ms * 1000000LL;
}

corral_host Filled() {
  corral_host host;
  std::memset(&host, 0, sizeof host);
  FillCooperative(&host);
  return host;
}

TEST(HostCooperativeTest, FillsExactlyTheCooperativeEntries) {
  corral_host host = Filled();
  EXPECT_NE(host.sleep_until, nullptr);
  EXPECT_NE(host.spawn, nullptr);
  EXPECT_NE(host.join, nullptr);
  EXPECT_NE(host.event_free, nullptr);
  EXPECT_NE(host.queue_free, nullptr);
  EXPECT_NE(host.mutex_free, nullptr);
  EXPECT_NE(host.timeout_pop, nullptr);
  EXPECT_EQ(host.now, nullptr);
  EXPECT_EQ(host.read, nullptr);
  EXPECT_EQ(host.count_error, nullptr);
  EXPECT_EQ(host.route_add, nullptr);
  EXPECT_EQ(host.response_body, nullptr);
}

// A greenlet on hub A spawns a sub-task (a greenlet) that feeds a C queue read on hub B, which
// answers through a C event a plain thread waits for; the thread then joins nothing but sees
// every value. A mutex guards a counter bumped from all three places.
TEST(HostCooperativeTest, EntriesWorkAcrossTwoHubsAndAThread) {
  static corral_host host = Filled();
  HubThread a, b;
  corral_queue* queue = host.queue_new(2);
  corral_event* answered = host.event_new();
  corral_mutex* mutex = host.mutex_new();
  static int counter;  // guarded by `mutex`
  counter = 0;
  std::atomic<int64_t> sum{0};
  auto bump = [mutex] {
    ASSERT_EQ(host.mutex_lock(mutex, In(10000)), CORRAL_OK);
    ++counter;
    host.mutex_unlock(mutex);
  };
  std::latch done(2);
  a.Spawn([&] {
    struct Feed {
      corral_queue* queue;
    };
    static Feed feed;
    feed.queue = queue;
    corral_task* sub = host.spawn(
        [](void* arg) {
          auto* f = static_cast<Feed*>(arg);
          for (uintptr_t i = 1; i <= 100; ++i) {
            EXPECT_EQ(host.queue_put(f->queue, reinterpret_cast<void*>(i), In(10000)), CORRAL_OK);
          }
          host.queue_close(f->queue);
        },
        &feed);
    ASSERT_NE(sub, nullptr);
    bump();
    EXPECT_EQ(host.join(sub, In(10000)), CORRAL_OK);
    done.count_down();
  });
  b.Spawn([&] {
    void* item = nullptr;
    corral_status s;
    while ((s = host.queue_get(queue, &item, In(10000))) == CORRAL_OK) {
      sum += static_cast<int64_t>(reinterpret_cast<uintptr_t>(item));
    }
    EXPECT_EQ(s, CORRAL_QUEUE_CLOSED);
    bump();
    host.event_set(answered);
    done.count_down();
  });
  EXPECT_EQ(host.event_wait(answered, In(10000)), CORRAL_OK);
  EXPECT_EQ(host.event_is_set(answered), 1);
  bump();
  done.wait();
  EXPECT_EQ(sum.load(), 5050);
  EXPECT_EQ(counter, 3);
  EXPECT_EQ(host.queue_put(queue, nullptr, In(0)), CORRAL_QUEUE_CLOSED);
  host.queue_free(queue);
  host.event_free(answered);
  host.mutex_free(mutex);
}

// Deadlines, scopes, bad arguments and a kill, as statuses.
TEST(HostCooperativeTest, StatusesForTimeoutsScopesNullsAndKills) {
  static corral_host host = Filled();
  corral_event* never = host.event_new();
  EXPECT_EQ(host.event_wait(never, In(10)), CORRAL_TIMEOUT);
  host.timeout_push(In(10));
  EXPECT_EQ(host.event_wait(never, CORRAL_NO_DEADLINE), CORRAL_TIMEOUT);
  EXPECT_EQ(host.sleep_until(In(10000)), CORRAL_TIMEOUT);
  host.timeout_pop();
  EXPECT_EQ(host.sleep_until(In(1)), CORRAL_OK);
  EXPECT_EQ(host.event_wait(nullptr, In(0)), CORRAL_INVALID);
  EXPECT_EQ(host.queue_get(nullptr, nullptr, In(0)), CORRAL_INVALID);
  EXPECT_EQ(host.join(nullptr, In(0)), CORRAL_INVALID);
  EXPECT_EQ(host.spawn(nullptr, nullptr), nullptr);

  corral_status first = CORRAL_OK, second = CORRAL_OK;
  {
    HubThread a;
    std::latch waiting(1);
    a.Spawn([&] {
      waiting.count_down();
      first = host.event_wait(never, CORRAL_NO_DEADLINE);
      second = host.sleep_until(In(1));
    });
    waiting.wait();
  }  // the hub's end kills the greenlet
  EXPECT_EQ(first, CORRAL_CANCELLED);
  EXPECT_EQ(second, CORRAL_CANCELLED);
  host.event_free(never);
}

}  // namespace
}  // namespace corral::handler
