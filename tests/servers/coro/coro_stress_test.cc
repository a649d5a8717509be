// A randomized stress test of corral::coro: spawn, kill, timeouts, events, queues, pools and
// greenlet destruction interleaved in a random order for thousands of rounds, then checks that
// everything finished, no queue item was lost or duplicated, and a task blocked inside a catch
// handler still handles its own exception afterwards.
//
// The order comes from a seeded PRNG: the seed is printed at the start and in every failure
// message. Re-run one with CORRAL_CORO_STRESS_SEED=<seed>; CORRAL_CORO_STRESS_ROUNDS=<n> changes
// the number of rounds (default kDefaultRounds, sized to stay well under 20 s on a loaded
// 2-core machine, also under ASan).
#include <algorithm>
#include <any>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "servers/coro/event.h"
#include "servers/coro/greenlet.h"
#include "servers/coro/hub.h"
#include "servers/coro/pool.h"
#include "servers/coro/queue.h"
#include "servers/coro/task.h"
#include "servers/coro/timeout.h"
#include "tests/servers/coro/test_util.h"

namespace corral::coro {
namespace {

using namespace std::chrono_literals;
using testing::InFreshThread;

constexpr uint64_t kDefaultSeed = 20261207;
constexpr int kDefaultRounds = 30000;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

// Everything the random tasks share. Owned by the test body's stack; every task is finished
// before it goes away.
struct World {
  explicit World(uint64_t seed) : rng(seed) {}

  std::mt19937_64 rng;
  std::vector<std::unique_ptr<Queue<int>>> queues;
  std::vector<std::shared_ptr<Event>> events;
  std::vector<AnyHandle> tasks;
  int64_t puts_ok = 0;
  int64_t gets_ok = 0;
  int next_item = 0;
  int next_tag = 0;
  int errors_thrown = 0;

  int Pick(int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); }
  Clock::duration SmallDelay() { return std::chrono::microseconds(Pick(4) == 0 ? 0 : Pick(400)); }
};

// One random blocking step of a task. Uses only what it captured by value (shared_ptr) or the
// long-lived queues, so it is safe whatever else is dropped meanwhile.
void RandomStep(World& w, std::shared_ptr<Event> ev) {
  switch (w.Pick(8)) {
    case 0:
      Sleep(w.SmallDelay());
      break;
    case 1:
      ev->Wait(w.SmallDelay());
      break;
    case 2: {
      Queue<int>& q = *w.queues[w.Pick(static_cast<int>(w.queues.size()))];
      if (q.Put(w.next_item++, w.SmallDelay())) ++w.puts_ok;
      break;
    }
    case 3: {
      Queue<int>& q = *w.queues[w.Pick(static_cast<int>(w.queues.size()))];
      if (q.Get(w.SmallDelay()).has_value()) ++w.gets_ok;
      break;
    }
    case 4: {
      // A Timeout around a blocking call that may or may not outlast it.
      Clock::duration limit = w.SmallDelay();
      Clock::duration nap = w.SmallDelay();
      WithTimeout(limit, [&] { Sleep(nap); });
      break;
    }
    case 5:
      ++w.errors_thrown;
      throw std::runtime_error("stress: random task failure");
    case 6: {
      // A raw greenlet switched into once, then dropped while suspended: its unwinding must run
      // inside this task, even if this task is being killed.
      auto g = Greenlet::Create([](std::any) -> std::any {
        Greenlet::Current()->parent()->Switch();
        return {};
      });
      g->Switch();
      g.reset();
      break;
    }
    case 7: {
      // Blocking inside a catch handler: other tasks enter and leave their own handlers
      // meanwhile, and the exception being handled here must still be this one.
      const std::string tag = "handled " + std::to_string(w.next_tag++);
      try {
        throw std::runtime_error(tag);
      } catch (const std::runtime_error&) {
        Sleep(w.SmallDelay());
        try {
          throw;
        } catch (const std::runtime_error& again) {
          EXPECT_EQ(again.what(), tag) << "a task rethrew another task's exception";
        }
      }
      break;
    }
  }
}

void SpawnRandomTask(World& w) {
  std::shared_ptr<Event> ev = w.events[w.Pick(static_cast<int>(w.events.size()))];
  const int steps = 1 + w.Pick(6);
  auto body = [&w, ev, steps] {
    for (int i = 0; i < steps; ++i) RandomStep(w, ev);
  };
  if (w.Pick(5) == 0) {
    w.tasks.push_back(SpawnLater(w.SmallDelay(), body));
  } else {
    w.tasks.push_back(Spawn(body));
  }
}

void RunStress(uint64_t seed, int rounds) {
  World w(seed);
  for (size_t cap : {1, 3, 0}) w.queues.push_back(std::make_unique<Queue<int>>(cap));
  for (int i = 0; i < 3; ++i) w.events.push_back(std::make_shared<Event>());

  for (int round = 0; round < rounds; ++round) {
    switch (w.Pick(10)) {
      case 0:
      case 1:
      case 2:
        SpawnRandomTask(w);
        break;
      case 3:
        if (!w.tasks.empty()) {
          const int i = w.Pick(static_cast<int>(w.tasks.size()));
          const bool block = w.Pick(2) == 0;
          const bool done = w.tasks[i].Kill(block, 1s);
          if (block) {
            ASSERT_TRUE(done) << "a blocking Kill did not finish task " << i;
          }
        }
        break;
      case 4: {
        Event& ev = *w.events[w.Pick(static_cast<int>(w.events.size()))];
        if (w.Pick(2) == 0) {
          ev.Set();
        } else {
          ev.Clear();
        }
        break;
      }
      case 5:
        // Drop an event: tasks waiting on it keep it alive through their own reference.
        w.events[w.Pick(static_cast<int>(w.events.size()))] = std::make_shared<Event>();
        break;
      case 6:
        // Drop handles of finished tasks, in random order.
        if (!w.tasks.empty()) {
          const int i = w.Pick(static_cast<int>(w.tasks.size()));
          if (w.tasks[i].ready()) {
            std::swap(w.tasks[i], w.tasks.back());
            w.tasks.pop_back();
          }
        }
        break;
      case 7: {
        // A short-lived pool, destroyed with its tasks possibly still running (it kills them).
        Pool pool(1 + w.Pick(3));
        const int n = w.Pick(4);
        for (int i = 0; i < n; ++i) {
          std::shared_ptr<Event> ev = w.events[0];
          pool.Spawn([&w, ev] { RandomStep(w, ev); });
        }
        if (w.Pick(2) == 0) pool.Join(w.SmallDelay());
        break;
      }
      case 8:
        // The root itself under a Timeout around a wait.
        WithTimeout(w.SmallDelay(), [&] { w.events[0]->Wait(); });
        break;
      case 9:
        Sleep(w.Pick(3) == 0 ? w.SmallDelay() : Clock::duration::zero());
        break;
    }
  }

  // Wind down: wake every waiter, kill what is left, and check that everything finished.
  for (auto& ev : w.events) ev->Set();
  for (const AnyHandle& h : w.tasks) ASSERT_TRUE(h.Kill(true, 10s)) << "a task did not die";
  for (const AnyHandle& h : w.tasks) EXPECT_TRUE(h.ready());
  int64_t left = 0;
  for (auto& q : w.queues) left += static_cast<int64_t>(q->size());
  EXPECT_EQ(w.puts_ok, w.gets_ok + left) << "queue items lost or duplicated";
}

TEST(CoroStressTest, RandomInterleavingsRunClean) {
  const uint64_t seed = EnvOr("CORRAL_CORO_STRESS_SEED", kDefaultSeed);
  const int rounds = static_cast<int>(EnvOr("CORRAL_CORO_STRESS_ROUNDS", kDefaultRounds));
  std::printf("coro stress: seed %llu, %d rounds (CORRAL_CORO_STRESS_SEED to change)\n",
              static_cast<unsigned long long>(seed), rounds);
  const auto start = Clock::now();
  InFreshThread([&] {
    // On the thread that runs the checks: gtest's traces are per thread.
    SCOPED_TRACE("CORRAL_CORO_STRESS_SEED=" + std::to_string(seed));
    RunStress(seed, rounds);
  });
  std::printf(
      "coro stress: %lld ms\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()));
}

}  // namespace
}  // namespace corral::coro
