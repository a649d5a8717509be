#include "servers/coro/timer_queue.h"

namespace corral::coro {

void TimerQueue::Add(Timer* timer, Clock::time_point when) {
  Cancel(timer);
  timer->when_ = when;
  timer->sequence_ = next_sequence_++;
  heap_.push_back(timer);
  timer->index_ = heap_.size() - 1;
  SiftUp(timer->index_);
}

void TimerQueue::Cancel(Timer* timer) {
  if (timer->armed()) RemoveAt(timer->index_);
}

size_t TimerQueue::FireExpired(Clock::time_point now) {
  size_t fired = 0;
  while (!heap_.empty() && heap_.front()->when_ <= now) {
    Timer* t = heap_.front();
    RemoveAt(0);
    t->Fire();
    ++fired;
  }
  return fired;
}

void TimerQueue::SiftUp(size_t i) {
  Timer* t = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (!Before(t, heap_[parent])) break;
    Place(i, heap_[parent]);
    i = parent;
  }
  Place(i, t);
}

void TimerQueue::SiftDown(size_t i) {
  Timer* t = heap_[i];
  const size_t n = heap_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && Before(heap_[child + 1], heap_[child])) ++child;
    if (!Before(heap_[child], t)) break;
    Place(i, heap_[child]);
    i = child;
  }
  Place(i, t);
}

void TimerQueue::RemoveAt(size_t i) {
  Timer* removed = heap_[i];
  Timer* last = heap_.back();
  heap_.pop_back();
  removed->index_ = Timer::kNotQueued;
  if (i == heap_.size()) return;  // it was the last element
  Place(i, last);
  if (i > 0 && Before(last, heap_[(i - 1) / 2])) {
    SiftUp(i);
  } else {
    SiftDown(i);
  }
}

}  // namespace corral::coro
