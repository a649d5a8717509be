#include "servers/models/accepting_threads.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_set>

#include "servers/models/wait_for_work.h"
#include "servers/models/worker_stats.h"
#include "servers/net/blocking_stream.h"
#include "servers/net/socket.h"
#include "servers/net/syscall_error.h"
#include "spdlog/spdlog.h"

namespace corral::models {
namespace {

// How long a waiting thread sees no connection before it exits (the last one waiting stays).
// Long enough to bridge the pauses between a client's bursts of connections; short enough that
// an idle server soon gives back the stacks a burst made it start.
constexpr auto kIdleExit = std::chrono::seconds(10);

// After a drain cuts the remaining sockets, their threads get this long to unwind.
constexpr auto kCutGrace = std::chrono::seconds(1);

// What every thread touches. Each holds a reference, so a thread still serving after the drain
// gave up on it ends on this state instead of on freed memory.
struct Shared : std::enable_shared_from_this<Shared> {
  Shared(int listener_fd, uint32_t max, const protocols::StreamProtocol& serving,
         stats::Scoreboard* scores)
      : listener(listener_fd), max_threads(max), protocol(serving), board(scores) {}

  // A thread's life: accept, serve, and again, until the drain or an idle spell ends it.
  static void Run(std::shared_ptr<Shared> self);

  // Starts one more thread unless max_threads run. Requires mu; counts the thread in before
  // unlocking to start it, and out again if it cannot start.
  void StartThread(std::unique_lock<std::mutex>& lock);

  // Accepts one connection, counted in `serving_fds`; -1 when the thread should exit.
  // Requires mu, released while blocked in accept.
  int Accept(std::unique_lock<std::mutex>& lock);

  const int listener;
  const uint32_t max_threads;
  const protocols::StreamProtocol& protocol;
  stats::Scoreboard* const board;
  net::UniqueFd failed{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};  // the listener broke

  std::mutex mu;
  std::condition_variable changed;      // a count below fell, or the listener failed
  uint32_t threads = 0;                 // guarded by mu: alive, whatever they do
  uint32_t waiting = 0;                 // guarded by mu: in (or about to enter) accept
  bool draining = false;                // guarded by mu: no thread enters accept again
  absl::Status error;                   // guarded by mu: why the listener failed
  std::unordered_set<int> serving_fds;  // guarded by mu: one per thread serving
};

void Shared::Run(std::shared_ptr<Shared> self) {
  std::optional<stats::SlotWriter> slot = ClaimWorkerSlot(self->board);
  std::unique_lock lock(self->mu);
  for (int fd; (fd = self->Accept(lock)) >= 0;) {
    if (self->waiting == 0 && !self->draining) self->StartThread(lock);  // keep one waiting
    lock.unlock();
    {
      net::BlockingStream stream(fd);
      ServeConnection(stream, slot ? &*slot : nullptr, self->protocol);
    }
    lock.lock();
    // Closed under the lock, so a drain never shuts down a number closed and reused meanwhile.
    self->serving_fds.erase(fd);
    ::close(fd);
    self->changed.notify_all();
  }
  --self->threads;
  self->changed.notify_all();
  // The lock is released before `self`, which may be the last reference to this state.
  lock.unlock();
}

void Shared::StartThread(std::unique_lock<std::mutex>& lock) {
  if (threads >= max_threads) return;  // at the cap: clients wait in the backlog
  ++threads;
  lock.unlock();
  try {
    std::thread(&Shared::Run, shared_from_this()).detach();
  } catch (const std::system_error& e) {
    spdlog::error("start connection thread: {}", e.what());
    lock.lock();
    --threads;
    changed.notify_all();
    return;
  }
  lock.lock();
}

int Shared::Accept(std::unique_lock<std::mutex>& lock) {
  for (;;) {
    if (draining || !error.ok()) return -1;
    ++waiting;
    lock.unlock();
    // Blocking, and so woken one thread per connection; SO_RCVTIMEO ends the wait after
    // kIdleExit. The accepted socket is blocking too, as BlockingStream wants it.
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    int err = errno;
    lock.lock();
    --waiting;
    if (fd >= 0) {
      serving_fds.insert(fd);
      return fd;
    }
    if (draining) return -1;  // the listener was shut down under us
    if (err == EAGAIN || err == EWOULDBLOCK) {
      if (waiting > 0) return -1;  // idle too long, and another thread still waits
      continue;
    }
    switch (net::ClassifyAcceptErrno(err)) {
      case net::AcceptError::kRetry:
        continue;
      case net::AcceptError::kOutOfFds:
        spdlog::warn("accept: {}; pausing accepts for {} ms", net::ErrnoText(err),
                     kOutOfFdsBackoffMs);
        lock.unlock();
        std::this_thread::sleep_for(std::chrono::milliseconds(kOutOfFdsBackoffMs));
        lock.lock();
        continue;
      case net::AcceptError::kFatal:
        error = net::SyscallError("accept", err);
        uint64_t one = 1;
        (void)!::write(failed.get(), &one, sizeof one);
        return -1;
    }
  }
}

}  // namespace

absl::Status ServeStreamsOnAcceptingThreads(net::UniqueFd listener, int stop_fd,
                                            const protocols::StreamProtocol& protocol,
                                            const ModelOptions& options) {
  const int fd = listener.get();
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return net::SyscallError("fcntl", errno);
  }
  const timeval idle{static_cast<time_t>(kIdleExit.count()), 0};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle) != 0) {
    return net::SyscallError("setsockopt SO_RCVTIMEO", errno);
  }
  auto shared = std::make_shared<Shared>(fd, options.max_workers, protocol, options.scoreboard);
  std::unique_lock lock(shared->mu);
  shared->StartThread(lock);
  if (shared->threads == 0) return absl::ResourceExhaustedError("cannot start a thread");
  lock.unlock();

  WaitForWork(stop_fd, -1, shared->failed.get(), -1);  // asked to stop, or the listener broke
  lock.lock();
  shared->draining = true;
  lock.unlock();
  // Wakes every thread blocked in accept (it fails with EINVAL) and refuses new clients.
  ::shutdown(fd, SHUT_RD);
  lock.lock();
  shared->changed.wait(lock, [&s = *shared] { return s.waiting == 0; });
  listener.Reset();  // no thread is in accept, and none will enter it again

  const net::Deadline deadline = net::Clock::now() + options.drain_timeout;
  if (!shared->changed.wait_until(lock, deadline,
                                  [&s = *shared] { return s.serving_fds.empty(); })) {
    spdlog::warn("drain deadline passed; cutting {} connection(s)", shared->serving_fds.size());
    for (int serving : shared->serving_fds) ::shutdown(serving, SHUT_RDWR);
    if (!shared->changed.wait_for(lock, kCutGrace,
                                  [&s = *shared] { return s.serving_fds.empty(); })) {
      spdlog::warn("{} connection thread(s) still running after the cut",
                   shared->serving_fds.size());
    }
  }
  // Threads whose connection ended need only the lock to exit.
  shared->changed.wait(lock, [&s = *shared] { return s.threads == s.serving_fds.size(); });
  return shared->error;
}

}  // namespace corral::models
