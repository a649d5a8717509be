#include "servers/coro/timer_queue.h"

#include <chrono>
#include <vector>

#include "gtest/gtest.h"

namespace corral::coro {
namespace {

using std::chrono::milliseconds;

class Recorder final : public TimerQueue::Timer {
 public:
  Recorder(int id, std::vector<int>* log) : id_(id), log_(log) {}

 private:
  void Fire() override { log_->push_back(id_); }
  int id_;
  std::vector<int>* log_;
};

TEST(TimerQueueTest, FiresDueTimersInDeadlineOrder) {
  TimerQueue q;
  std::vector<int> log;
  const Clock::time_point t0 = Clock::now();
  std::vector<Recorder> timers;
  timers.reserve(6);
  const int delays[] = {50, 10, 40, 20, 30, 60};
  for (int i = 0; i < 6; ++i) timers.emplace_back(delays[i], &log);
  for (int i = 0; i < 6; ++i) q.Add(&timers[i], t0 + milliseconds(delays[i]));
  EXPECT_EQ(q.next(), t0 + milliseconds(10));
  EXPECT_EQ(q.FireExpired(t0 + milliseconds(35)), 3u);
  EXPECT_EQ(log, (std::vector<int>{10, 20, 30}));
  EXPECT_EQ(q.FireExpired(t0 + milliseconds(100)), 3u);
  EXPECT_EQ(log, (std::vector<int>{10, 20, 30, 40, 50, 60}));
  EXPECT_TRUE(q.empty());
}

TEST(TimerQueueTest, EqualDeadlinesFireInInsertionOrder) {
  TimerQueue q;
  std::vector<int> log;
  std::vector<Recorder> timers;
  timers.reserve(20);
  const Clock::time_point t = Clock::now();
  for (int i = 0; i < 20; ++i) timers.emplace_back(i, &log);
  for (auto& r : timers) q.Add(&r, t);
  q.FireExpired(t);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(log[static_cast<size_t>(i)], i);
}

TEST(TimerQueueTest, CancelRemovesFromAnyPosition) {
  TimerQueue q;
  std::vector<int> log;
  std::vector<Recorder> timers;
  timers.reserve(100);
  const Clock::time_point t0 = Clock::now();
  for (int i = 0; i < 100; ++i) timers.emplace_back(i, &log);
  // Insert in a scrambled order, cancel every third.
  for (int i = 0; i < 100; ++i) {
    const int k = (i * 37) % 100;
    q.Add(&timers[static_cast<size_t>(k)], t0 + milliseconds(k));
  }
  for (int i = 0; i < 100; i += 3) {
    q.Cancel(&timers[static_cast<size_t>(i)]);
    EXPECT_FALSE(timers[static_cast<size_t>(i)].armed());
  }
  q.Cancel(&timers[0]);  // cancelling twice is harmless
  q.FireExpired(t0 + milliseconds(1000));
  std::vector<int> expected;
  for (int i = 0; i < 100; ++i) {
    if (i % 3 != 0) expected.push_back(i);
  }
  EXPECT_EQ(log, expected);
}

TEST(TimerQueueTest, ReAddMovesTheTimer) {
  TimerQueue q;
  std::vector<int> log;
  Recorder a(1, &log), b(2, &log);
  const Clock::time_point t0 = Clock::now();
  q.Add(&a, t0 + milliseconds(1));
  q.Add(&b, t0 + milliseconds(2));
  q.Add(&a, t0 + milliseconds(3));
  EXPECT_EQ(q.size(), 2u);
  q.FireExpired(t0 + milliseconds(5));
  EXPECT_EQ(log, (std::vector<int>{2, 1}));
}

}  // namespace
}  // namespace corral::coro
