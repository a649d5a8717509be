// PoolGauge: how many workers of a stream pool wait to accept, so that the pool grows when every
// worker is serving, as Apache's prefork MPM starts servers when none is idle.
//
// Why: a pool worker serves one connection to its end, and a keep-alive client can keep it for
// as long as it likes. With a fixed pool, connections beyond the pool's size waited in the
// accept queue for as long as the first ones stayed (wrk -c50 on a fork pool of 4: 46 never
// answered, then reset when a drain closed the listener: 50 read errors). So the worker that
// takes the last waiting place asks the server for one more worker, up to max_workers, as the
// thread model's accepting threads do (design decision 15); a worker beyond the pool's size
// that waits kIdleThreadExit for a connection while more than the pool's size wait leaves.
//
// The count lives in a MAP_SHARED | MAP_ANONYMOUS page made before any worker exists, so
// threads and forked workers count into the same place; the request for a worker is an eventfd
// the server polls. All calls are lock-free and may run from any thread of any process sharing
// the gauge. A worker killed from outside while it waits leaves its count taken, and the count
// then says someone waits when nobody does: so the server also looks at the listener once a
// second (StillStarved) and adds a worker when connections have waited there across a whole
// second.
//
// At max_workers the pool can grow no more, and a keep-alive client could again hold a worker
// while others wait: the gauge also says when the pool is at that bound (AtBound), and a worker
// idle on a keep-alive connection takes the place of one waiting (ReserveWaitingPlace), ends
// its connection and accepts (net/waiting_clients.h, design decision 24).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace corral::models {

class PoolGauge {
 public:
  // A gauge for a pool that keeps `pool_size` workers (and `pool_size` waiting at rest) on
  // `listener`, and grows to `max_workers`.
  static absl::StatusOr<std::unique_ptr<PoolGauge>> Create(uint32_t pool_size, uint32_t max_workers,
                                                           int listener);
  ~PoolGauge();
  PoolGauge(const PoolGauge&) = delete;
  PoolGauge& operator=(const PoolGauge&) = delete;

  // A worker starts waiting to accept: when the server launches it, and after each connection
  // it served. CancelWait undoes the first when the launch failed.
  void EnterWait() { shared_->waiting.fetch_add(1); }
  void CancelWait() { shared_->waiting.fetch_sub(1); }

  // Server side: how many workers run now (started and not yet collected).
  void SetWorkers(size_t workers) { shared_->workers.store(static_cast<int32_t>(workers)); }
  // True when every worker serves and the pool may grow no more.
  bool AtBound() const {
    return shared_->waiting.load() <= 0 && shared_->workers.load() >= max_workers_;
  }
  // At the bound, a worker whose connection is idle enters the wait in advance, as if it had
  // already ended its connection: true when it did, so it must not EnterWait again; false when
  // someone waits already (another worker reserved the place first) or the pool can still grow.
  bool ReserveWaitingPlace();

  // A worker accepted a connection and serves it. When it took the last waiting place (or the
  // count is stale, see above), the server is asked for more workers: as many as clients wait
  // (TakeRequest), since growing one worker per accepted client let the first clients keep
  // the pool's few workers busy while the rest waited for a chain of fifty thread starts.
  void LeaveWait();

  // A worker that waited its idle spell out: true when it should leave, its place given up,
  // because more than the pool's size are waiting.
  bool RetireIdle();

  // Readable once a worker asked for one more; the server polls it and calls TakeRequest.
  int request_fd() const { return request_.get(); }
  // Server side: takes the request; how many more workers are wanted: none when someone waits
  // (a worker entered the wait meanwhile), else one for each client queued on the listener
  // now and one to wait for the next (the accept queue's length, from TCP_INFO).
  uint32_t TakeRequest();
  // How many connections wait in the listener's accept queue now (0 if it cannot be read).
  uint32_t Queued() const;

  // Server side, once a second: true when the listener had a connection waiting at this call
  // and at the one before (one syscall). Some may be new, but a pool keeping up seldom leaves
  // one waiting at two ticks; a worker too many leaves after its idle spell.
  bool StillStarved();

 private:
  // The shared page.
  struct Counts {
    std::atomic<int32_t> waiting;
    std::atomic<int32_t> workers;  // as the server last set it
  };

  PoolGauge(uint32_t pool_size, uint32_t max_workers, int listener, Counts* shared,
            base::UniqueFd request)
      : pool_size_(static_cast<int32_t>(pool_size)),
        max_workers_(static_cast<int32_t>(std::max(pool_size, max_workers))),
        listener_(listener),
        shared_(shared),
        request_(std::move(request)) {}

  const int32_t pool_size_;
  const int32_t max_workers_;
  const int listener_;
  bool was_pending_ = false;  // StillStarved's previous look; the server's thread only
  Counts* const shared_;      // in the shared page
  base::UniqueFd request_;    // eventfd, inherited by forked workers
};

}  // namespace corral::models
