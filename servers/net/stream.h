// Stream: the byte-stream interface every protocol handler is written against, in blocking
// style. A model supplies the implementation: BlockingStream (fork and thread models, where the
// worker owns an OS thread; PollingStream serves clients and tests) or a cooperative stream that
// parks a greenlet on its hub (coroutine model). A handler therefore runs unchanged under every
// model.
//
// One error channel: every outcome of these calls is a return value, never an exception, under
// every model, so a handler may wrap them in a catch-all without changing how it ends. When a
// drain runs out of time it cuts the connections still served, and a handler blocked on one
// sees, by model:
//   - coroutine: CANCELLED from the call it was in and from every later call, at once (the
//     greenlet was killed; see servers/coro/nothrow.h). A coro::Timeout is DEADLINE_EXCEEDED.
//   - thread: the socket is shut down (shutdown(2)): Read returns 0, as if the peer had closed,
//     and writes fail with UNAVAILABLE.
//   - fork: nothing; the worker process is killed (SIGKILL).
// So a handler ends its connection on a Read of 0 or on any non-OK status, and does not retry.
//
// A Stream is used by one worker at a time; it is not thread-safe.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <chrono>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/deadline.h"
#include "base/io_accounting.h"
#include "servers/net/waiting_clients.h"

namespace corral::net {

// The deadlines of the calls below are base's: a steady-clock point, Deadline::max() for none.
using base::Clock;
using base::Deadline;
using base::DeadlineAfter;

class Stream {
 public:
  virtual ~Stream() = default;

  // Reads up to `len` (> 0) bytes. Returns the count read (> 0), or 0 when the peer closed its
  // side. DEADLINE_EXCEEDED when nothing arrived before `deadline`; UNAVAILABLE when the
  // connection broke (reset). Never returns a partial failure: bytes read are always reported.
  absl::StatusOr<size_t> Read(void* buf, size_t len, Deadline deadline);

  // Read for the first bytes of the client's next request, while the connection is idle between
  // two of them: the same, except that when clients wait to be accepted and every worker is
  // taken (OthersWaiting), the wait ends with the status YieldedToWaitingClient() and this
  // worker takes one of them once the handler returns. The handler then ends the connection
  // quietly: nothing of a next request had arrived, so nothing is cut (a client reopens a
  // closed keep-alive connection, as after an idle timeout). Bytes that did arrive are always
  // returned. The waiting clients are looked at every kWaitingCheck while nothing arrives and
  // the workers are at their bound, every kWaitingCheckBelowBound while they are not (so that
  // thousands of idle connections far below it cost a wake-up a second each, not twenty).
  absl::StatusOr<size_t> ReadNext(void* buf, size_t len, Deadline deadline);
  static constexpr std::chrono::milliseconds kWaitingCheck{50};
  static constexpr std::chrono::milliseconds kWaitingCheckBelowBound{1000};

  // True when clients wait to be accepted and every worker is taken (never without a model that
  // bounds its workers): a response written now should close its connection (HTTP:
  // Connection: close), so that the client reconnects behind those waiting.
  bool OthersWaiting() const { return waiting_ != nullptr && waiting_->OthersWaiting(); }

  // OthersWaiting, and if so reserves a waiting client for this worker: true tells a handler to
  // end its idle session now (politely: a goodbye line, say); the worker then serves that
  // client. Sticky: once true, always true on this stream. For handlers that wait their own way
  // (the handler SDK's others_waiting); ReadNext does this itself.
  bool YieldToWaitingClient();

  // Writes all `len` bytes, or fails: DEADLINE_EXCEEDED when the peer did not take them before
  // `deadline`, UNAVAILABLE when the connection broke (reset, or the peer closed).
  absl::Status WriteAll(const void* buf, size_t len, Deadline deadline);

  // Writes every byte of the `count` buffers, in order (one writev where the socket takes it
  // all). Same errors as WriteAll. The iovec array may be modified.
  absl::Status WriteAllV(iovec* iov, int count, Deadline deadline);

  // Sends `count` bytes of the file `file_fd` from `offset` with sendfile(2) (no copy through
  // user space). Same errors as WriteAll; a file shorter than offset + count is DATA_LOSS (it
  // shrank while being sent: the connection is no longer framed and must be closed).
  absl::Status SendFile(int file_fd, off_t offset, size_t count, Deadline deadline);

  // The underlying descriptor, for socket options; the stream keeps owning it.
  virtual int fd() const = 0;

  // The accounting hook the model handed in (the worker's scoreboard slot), or null when the
  // server keeps no stats. The calls above report to it around every call (reading/writing,
  // bytes, timeouts, resets); a protocol counts what only it knows (a request and its latency,
  // a protocol error) into the slot behind it: stats::SlotOf(stream.accounting()). Not owned;
  // outlives the stream's use.
  base::IoAccounting* accounting() const { return accounting_; }
  void set_accounting(base::IoAccounting* accounting) { accounting_ = accounting; }

  // Set by a model whose workers are bounded, before the handler runs; null (the default): no
  // client ever waits for this worker. Not owned; outlives the stream's use.
  void set_waiting_clients(WaitingClients* waiting) { waiting_ = waiting; }

 protected:
  // What a model implements: the calls above, minus the accounting, with the same contracts.
  virtual absl::StatusOr<size_t> DoRead(void* buf, size_t len, Deadline deadline) = 0;
  virtual absl::Status DoWriteAllV(iovec* iov, int count, Deadline deadline) = 0;
  virtual absl::Status DoSendFile(int file_fd, off_t offset, size_t count, Deadline deadline) = 0;

 private:
  base::IoAccounting* accounting_ = nullptr;
  WaitingClients* waiting_ = nullptr;
  bool yielded_ = false;  // a waiting client was reserved for this worker
};

// The status ReadNext returns when the connection gives its worker up to a waiting client
// (RESOURCE_EXHAUSTED: the server is at its bound), and the test for it.
absl::Status YieldedToWaitingClient();
bool IsYieldedToWaitingClient(const absl::Status& status);

}  // namespace corral::net
