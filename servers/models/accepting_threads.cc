#include "servers/models/accepting_threads.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "servers/models/cuttable_connections.h"
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

// How often the server checks that some thread waits to accept, in case starting one failed.
constexpr int kStartRetryMs = 1000;

// After a drain cuts the remaining sockets, their threads get this long to unwind.
constexpr auto kCutGrace = std::chrono::seconds(1);

// What every thread touches. Each holds a reference, so a thread still serving after the drain
// gave up on it ends on this state instead of on freed memory.
struct Shared : std::enable_shared_from_this<Shared> {
  Shared(int listener_fd, uint32_t max, const protocols::StreamProtocol& served,
         stats::Scoreboard* scores, net::PerClientLimit* per_client)
      : listener(listener_fd),
        max_threads(max),
        protocol(served),
        board(scores),
        limit(per_client) {}

  // A thread's life: accept, serve, and again, until the drain or an idle spell ends it.
  static void Run(std::shared_ptr<Shared> self);

  // Starts one more thread unless max_threads run.
  void StartThread();

  // Accepts one connection within its client's cap (`hold`, its place) and records it in
  // `mine`; -1 when the thread should exit.
  int Accept(CuttableConnections::Slot& mine, std::optional<net::PerClientLimit::Hold>& hold);

  // After a count fell: wakes the drain, which may be waiting for it. (The drain sets draining
  // before it reads a count, so a count that falls unseen is followed by this notify.)
  void CountFell() {
    if (!draining.load()) return;
    std::lock_guard lock(mu);
    changed.notify_all();
  }

  const int listener;
  const uint32_t max_threads;
  const protocols::StreamProtocol& protocol;
  stats::Scoreboard* const board;
  net::PerClientLimit* const limit;
  net::UniqueFd failed{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};  // the listener broke

  std::atomic<uint32_t> threads{0};   // alive, whatever they do
  std::atomic<uint32_t> waiting{0};   // in accept, or about to enter or leave it
  std::atomic<uint32_t> serving{0};   // serving a connection
  std::atomic<bool> draining{false};  // no thread enters accept again

  CuttableConnections connections;  // what the drain's cut shuts down

  std::mutex mu;
  std::condition_variable changed;  // with mu: a count fell while draining
  absl::Status error;               // guarded by mu: why the listener failed
};

void Shared::Run(std::shared_ptr<Shared> self) {
  std::optional<stats::SlotWriter> slot = ClaimWorkerSlot(self->board);
  {
    CuttableConnections::Slot mine(self->connections);
    std::optional<net::PerClientLimit::Hold> hold;  // the client's place, while served
    for (int fd; (fd = self->Accept(mine, hold)) >= 0;) {
      {
        net::BlockingStream stream(fd, net::BlockingStream::Accepted{kIdleExit});
        ServeConnection(stream, slot ? &*slot : nullptr, self->protocol);
      }
      mine.CloseServed();
      hold.reset();
      --self->serving;
      self->CountFell();
    }
  }
  slot.reset();  // given back before the count falls, so a replacement thread finds one free
  --self->threads;
  self->CountFell();
  // A thread that took the last waiting place while this one, leaving, still counted against
  // the cap could start nobody: then this one starts the replacement. (Counts are seq_cst:
  // either that thread saw this one gone, or this one sees nobody waiting.)
  if (!self->draining.load() && self->waiting.load() == 0) self->StartThread();
}

void Shared::StartThread() {
  uint32_t running = threads.load();
  do {
    if (running >= max_threads) return;  // at the cap: clients wait in the backlog
  } while (!threads.compare_exchange_weak(running, running + 1));
  // Counted before draining is read, as in Accept: a drain that has already seen no thread
  // alive, and returned, is seen here, so no thread starts on a scoreboard freed since.
  if (draining.load()) {
    --threads;
    CountFell();
    return;
  }
  try {
    std::thread(&Shared::Run, shared_from_this()).detach();
  } catch (const std::system_error& e) {
    spdlog::error("start connection thread: {}", e.what());
    --threads;
    CountFell();
  }
}

int Shared::Accept(CuttableConnections::Slot& mine,
                   std::optional<net::PerClientLimit::Hold>& hold) {
  for (;;) {
    // Counted as waiting before draining is read: the drain, which sets draining first and
    // then waits for no thread waiting before it closes the listener, sees this thread or
    // this thread sees draining.
    ++waiting;
    if (draining.load()) {
      --waiting;
      CountFell();
      return -1;
    }
    // Blocking, and so woken one thread per connection; SO_RCVTIMEO ends the wait after
    // kIdleExit. The accepted socket is blocking too, as BlockingStream wants it, and inherits
    // that timeout, which its BlockingStream is told (Run).
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    int err = errno;
    // Over its client's cap: closed at once (counted), and this thread accepts again.
    if (fd >= 0 && !(hold = net::PerClientLimit::Admit(limit, fd))) {
      ::close(fd);
      waiting.fetch_sub(1);
      CountFell();
      continue;
    }
    if (fd >= 0) {
      mine.Serve(fd);
      ++serving;
      const bool was_last = waiting.fetch_sub(1) == 1;
      if (was_last && !draining.load()) StartThread();  // keep one thread waiting
      CountFell();
      return fd;
    }
    const uint32_t were_waiting = waiting.fetch_sub(1);
    CountFell();
    if (draining.load()) return -1;  // the listener was shut down under us
    if (err == EAGAIN || err == EWOULDBLOCK) {
      if (were_waiting > 1) return -1;  // idle too long, and another thread still waits
      continue;
    }
    switch (net::ClassifyAcceptErrno(err)) {
      case net::AcceptError::kRetry:
        continue;
      case net::AcceptError::kOutOfFds:
        spdlog::warn("accept: {}; pausing accepts for {} ms", net::ErrnoText(err),
                     kOutOfFdsBackoffMs);
        std::this_thread::sleep_for(std::chrono::milliseconds(kOutOfFdsBackoffMs));
        continue;
      case net::AcceptError::kFatal: {
        std::lock_guard lock(mu);
        error = net::SyscallError("accept", err);
        uint64_t one = 1;
        (void)!::write(failed.get(), &one, sizeof one);
        return -1;
      }
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
  auto shared = std::make_shared<Shared>(fd, options.max_workers, protocol, options.scoreboard,
                                         options.per_client_limit);
  Shared& s = *shared;
  s.StartThread();
  if (s.threads.load() == 0) return absl::ResourceExhaustedError("cannot start a thread");

  // Until asked to stop or the listener breaks. Meanwhile, if a thread could not be started
  // (out of memory or of threads) when one was needed, nobody may be waiting to accept: retry.
  while (WaitForWork(stop_fd, -1, s.failed.get(), kStartRetryMs) == Wake::kTimeout) {
    if (s.waiting.load() == 0) s.StartThread();
  }
  s.draining.store(true);
  // Wakes every thread blocked in accept (it fails with EINVAL) and refuses new clients.
  ::shutdown(fd, SHUT_RD);
  protocol.BeginDrain();
  std::unique_lock lock(s.mu);
  s.changed.wait(lock, [&s] { return s.waiting.load() == 0; });
  listener.Reset();  // no thread is in accept, and none will enter it again

  const net::Deadline deadline = net::Clock::now() + options.drain_timeout;
  if (!s.changed.wait_until(lock, deadline, [&s] { return s.serving.load() == 0; })) {
    spdlog::warn("drain deadline passed; cutting {} connection(s)", s.serving.load());
    s.connections.CutAll();
    if (!s.changed.wait_for(lock, kCutGrace, [&s] { return s.serving.load() == 0; })) {
      spdlog::warn("{} connection thread(s) still running after the cut", s.serving.load());
    }
  }
  // Threads whose connection ended have only to leave. A thread is done with the protocol and
  // the scoreboard only once it no longer counts among the threads (Run), so that count decides.
  s.changed.wait(lock, [&s] { return s.threads.load() == s.serving.load(); });
  if (const uint32_t alive = s.threads.load(); alive > 0) return WorkersStillRunning(alive);
  return s.error;
}

}  // namespace corral::models
