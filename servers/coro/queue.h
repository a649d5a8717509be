// Queue<T>: a FIFO between greenlets, bounded or not (gevent.queue.Queue).
//
// Get parks while the queue is empty; Put parks while it is full (never, when unbounded).
// Items are handed over in order; waiting getters and putters are served in order.
// Thread affinity: one hub thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <utility>

#include "servers/coro/deadline.h"
#include "servers/coro/wait_list.h"

namespace corral::coro {

template <typename T>
class Queue {
 public:
  static constexpr size_t kUnbounded = SIZE_MAX;

  // `capacity` items at most. 0 means unbounded, as in gevent and Python's queue module (gevent's
  // size-0 rendezvous queue is a separate class, Channel, which Corral does not have).
  explicit Queue(size_t capacity = kUnbounded) : capacity_(capacity == 0 ? kUnbounded : capacity) {}
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // Appends `item`, parking while the queue is full. False if it was still full at `deadline`
  // (the item is then dropped). Throws like Hub::Park.
  bool Put(T item, Deadline deadline = {}) {
    while (full()) {
      if (!putters_.Wait(deadline) && full()) {
        PassOn();
        return false;
      }
    }
    items_.push_back(std::move(item));
    getters_.NotifyOne();
    return true;
  }
  // Appends without blocking; false (item dropped) if full.
  bool TryPut(T item) { return !full() && Put(std::move(item), Deadline(Clock::time_point())); }

  // Removes the oldest item, parking while the queue is empty. nullopt if it was still empty at
  // `deadline`. Throws like Hub::Park.
  std::optional<T> Get(Deadline deadline = {}) {
    while (items_.empty()) {
      if (!getters_.Wait(deadline) && items_.empty()) {
        PassOn();
        return std::nullopt;
      }
    }
    T item = std::move(items_.front());
    items_.pop_front();
    putters_.NotifyOne();
    if (!items_.empty()) getters_.NotifyOne();
    return item;
  }
  // Removes the oldest item without blocking; nullopt if empty.
  std::optional<T> TryGet() {
    if (items_.empty()) return std::nullopt;
    return Get();
  }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  bool full() const { return items_.size() >= capacity_; }
  size_t capacity() const { return capacity_; }

 private:
  // A waiter that gives up must not strand a wake-up meant for the state it saw change.
  void PassOn() {
    if (!items_.empty()) getters_.NotifyOne();
    if (!full()) putters_.NotifyOne();
  }

  size_t capacity_;
  std::deque<T> items_;
  WaitList getters_;
  WaitList putters_;
};

}  // namespace corral::coro
