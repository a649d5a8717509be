// StreamQueue: the send side of a server-streaming gRPC call (a ServerWriteReactor) fed from the
// loop thread. Push() may be called from any thread; at most one write is in flight, and at most
// `capacity` messages wait behind it: beyond that the oldest are dropped (and counted, so the
// stream can tell its client), so a slow client never makes the agent buffer without bound.
// The call ends with CANCELLED when the client goes away. The object is owned through
// shared_ptr: by itself until gRPC's OnDone (HoldUntilDone), and by whoever feeds it until
// `on_done` tells them to let go.
#pragma once

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <memory>

#include "absl/synchronization/mutex.h"

namespace corral::agent {

template <typename Message>
class StreamQueue final : public grpc::ServerWriteReactor<Message> {
 public:
  // `stamp_dropped(message, n)` records on the next message that n were dropped before it.
  StreamQueue(size_t capacity, std::function<void(Message&, uint64_t)> stamp_dropped)
      : capacity_(capacity), stamp_dropped_(std::move(stamp_dropped)) {}

  // Call once, before handing the reactor to gRPC: keeps the object alive until gRPC is done
  // with it, then calls `on_done` (on a gRPC thread; it must not block) and lets go.
  void HoldUntilDone(std::shared_ptr<StreamQueue> self, std::function<void()> on_done) {
    absl::MutexLock lock(&mu_);
    self_ = std::move(self);
    on_done_ = std::move(on_done);
  }

  // Any thread. Returns false once the call is over (the feeder should stop).
  bool Push(Message message) {
    absl::MutexLock lock(&mu_);
    if (finished_) return false;
    if (pending_.size() >= capacity_) {
      pending_.pop_front();
      ++dropped_;
    }
    pending_.push_back(std::move(message));
    if (!writing_) WriteNextLocked();
    return true;
  }

  // Any thread. Sends the call's initial metadata now, unless a message or the end already
  // carried it. Called once the feeder is in place: a client that waits for the metadata
  // (ClientReader::WaitForInitialMetadata) then knows it misses nothing pushed from here on.
  void Announce() {
    absl::MutexLock lock(&mu_);
    if (announced_) return;
    announced_ = true;
    this->StartSendInitialMetadata();
  }

  // Any thread. Whether a write is in flight or waiting (to pace a feeder that can wait).
  bool busy() {
    absl::MutexLock lock(&mu_);
    return writing_ || !pending_.empty();
  }

  bool finished() {
    absl::MutexLock lock(&mu_);
    return finished_;
  }

  // Any thread. Ends the call with `status` at once (once), dropping what waits.
  void End(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(status);
  }

  // Any thread. Ends the call with `status` once every message pushed so far is written.
  void EndWhenDrained(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    if (!writing_ && pending_.empty()) return FinishLocked(status);
    end_when_drained_ = status;
    drain_then_end_ = true;
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) return FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
    if (!pending_.empty()) return WriteNextLocked();
    if (drain_then_end_) FinishLocked(end_when_drained_);
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
  }

  void OnDone() override {
    std::shared_ptr<StreamQueue> self;  // destroyed last: may delete this
    std::function<void()> on_done;
    {
      absl::MutexLock lock(&mu_);
      finished_ = true;
      on_done.swap(on_done_);
      self.swap(self_);
    }
    if (on_done) on_done();
  }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    current_ = std::move(pending_.front());
    pending_.pop_front();
    if (dropped_ > 0) {
      stamp_dropped_(current_, dropped_);
      dropped_ = 0;
    }
    writing_ = true;
    announced_ = true;  // the first write carries the initial metadata
    this->StartWrite(&current_);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_called_) return;
    finish_called_ = true;
    finished_ = true;
    announced_ = true;  // so does the end
    pending_.clear();
    this->Finish(status);
  }

  const size_t capacity_;
  const std::function<void(Message&, uint64_t)> stamp_dropped_;
  absl::Mutex mu_;
  std::deque<Message> pending_ ABSL_GUARDED_BY(mu_);
  Message current_;  // the message in flight; gRPC reads it until OnWriteDone
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  // The initial metadata has been sent (gRPC allows it once).
  bool announced_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool drain_then_end_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status end_when_drained_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_done_;
  std::shared_ptr<StreamQueue> self_;
};

}  // namespace corral::agent
