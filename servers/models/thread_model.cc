#include "servers/models/thread_model.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/syscall_error.h"
#include "servers/models/bounded_waiting.h"
#include "servers/models/cuttable_connections.h"
#include "servers/models/drain_policy.h"
#include "servers/models/model_timings.h"
#include "servers/models/pool_gauge.h"
#include "servers/models/receive_and_launch.h"
#include "servers/models/serve_connection.h"
#include "servers/models/thread_workers.h"
#include "servers/models/wait_for_work.h"
#include "servers/models/worker_pool.h"
#include "servers/models/worker_slot.h"
#include "servers/net/blocking_stream.h"
#include "servers/net/socket.h"
#include "spdlog/spdlog.h"

namespace corral::models {
namespace {

// How often the server checks that some thread waits to accept, in case starting one failed.
constexpr int kStartRetryMs = 1000;

// Interrupts a thread blocked in accept on a shared listener (EINTR: its handler does nothing,
// and is installed without SA_RESTART). glibc's SIGRTMIN is past the signals it uses itself.
int WakeSignal() { return SIGRTMIN; }
void IgnoreWake(int) {}

// What every thread touches. Each holds a reference, so a thread still serving after the drain
// gave up on it ends on this state instead of on freed memory.
struct AcceptingThreads : std::enable_shared_from_this<AcceptingThreads> {
  AcceptingThreads(int listener_fd, uint32_t max, const protocols::StreamProtocol& served,
                   stats::Scoreboard* scores, PerClientLimit* per_client)
      : listener(listener_fd),
        max_threads(max),
        protocol(served),
        board(scores),
        limit(per_client) {}

  // A thread's life: accept, serve, and again, until the drain or an idle spell ends it.
  static void Run(std::shared_ptr<AcceptingThreads> self);

  // Starts one more thread unless max_threads run.
  void StartThread();

  // Accepts one connection within its client's cap (`hold`, its place) and records it in
  // `mine`; -1 when the thread should exit. `reserved`: the thread holds the reservation
  // (ReserveWaitingPlace), given up once it counts as waiting.
  int Accept(CuttableConnections::Slot& mine, std::optional<PerClientLimit::Hold>& hold,
             bool reserved);

  // At max_threads with nobody waiting: a thread whose connection is idle reserves the place
  // of the one waiting, ends that connection and accepts the client waiting for it (design
  // decision 24). False when someone waits or reserved already, or more threads may start.
  // Apart from `waiting`, which the drain awaits: a handler that asked and serves on anyway
  // holds a reservation, never the drain.
  bool AtBound() const {
    return threads.load() >= max_threads && waiting.load() == 0 && reserved.load() == 0;
  }
  bool ReserveWaitingPlace() {
    uint32_t none = 0;
    return threads.load() >= max_threads && waiting.load() == 0 &&
           reserved.compare_exchange_strong(none, 1);
  }

  // After a count fell: wakes the drain, which may be waiting for it (absl::Mutex re-checks
  // its waiters' conditions on unlock). The drain sets draining before it reads a count, so a
  // count that falls unseen is followed by this unlock.
  void CountFell() {
    if (!draining.load()) return;
    absl::MutexLock lock(&mu);
  }

  const int listener;
  const uint32_t max_threads;
  const protocols::StreamProtocol& protocol;
  stats::Scoreboard* const board;
  PerClientLimit* const limit;
  base::UniqueFd failed{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};  // the listener broke

  std::atomic<uint32_t> threads{0};   // alive, whatever they do
  std::atomic<uint32_t> waiting{0};   // in accept, or about to enter or leave it
  std::atomic<uint32_t> reserved{0};  // 1: a thread ends its idle connection to accept
  std::atomic<uint32_t> serving{0};   // serving a connection
  std::atomic<bool> draining{false};  // no thread enters accept again

  CuttableConnections connections;  // what the drain's cut shuts down

  // The threads blocked in accept, for a drain that may not shut a shared listener down
  // (ModelOptions::shared_listener): it interrupts them with kWakeSignal instead.
  absl::Mutex accepting_mu;
  absl::flat_hash_set<pthread_t> accepting ABSL_GUARDED_BY(accepting_mu);

  absl::Mutex mu;                          // the drain waits on the counts above with it
  absl::Status error ABSL_GUARDED_BY(mu);  // why the listener failed
};

void AcceptingThreads::Run(std::shared_ptr<AcceptingThreads> self) {
  std::optional<stats::SlotWriter> slot = ClaimWorkerSlot(self->board);
  {
    CuttableConnections::Slot mine(self->connections);
    std::optional<PerClientLimit::Hold> hold;  // the client's place, while served
    AcceptingThreads* const s = self.get();
    BoundedWaiting waiting(
        s->listener, [s] { return s->AtBound(); }, [s] { return s->ReserveWaitingPlace(); });
    bool reserved = false;
    for (int fd; (fd = self->Accept(mine, hold, reserved)) >= 0;) {
      {
        net::BlockingStream stream(fd, net::BlockingStream::Accepted{kIdleThreadExit});
        stream.set_waiting_clients(&waiting);
        ServeConnection(stream, slot ? &*slot : nullptr, self->protocol);
      }
      mine.CloseServed();
      hold.reset();
      --self->serving;
      self->CountFell();
      reserved = waiting.TakeReservation();
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

void AcceptingThreads::StartThread() {
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
    std::thread(&AcceptingThreads::Run, shared_from_this()).detach();
  } catch (const std::system_error& e) {
    spdlog::error("start connection thread: {}", e.what());
    --threads;
    CountFell();
  }
}

int AcceptingThreads::Accept(CuttableConnections::Slot& mine,
                             std::optional<PerClientLimit::Hold>& hold, bool reserved_here) {
  for (;;) {
    // Counted as waiting before draining is read: the drain, which sets draining first and
    // then waits for no thread waiting before it closes the listener, sees this thread or
    // this thread sees draining.
    ++waiting;
    if (reserved_here) reserved.store(0);  // after: AtBound never sees both at 0 meanwhile
    reserved_here = false;
    if (draining.load()) {
      --waiting;
      CountFell();
      return -1;
    }
    // Blocking, and so woken one thread per connection; SO_RCVTIMEO ends the wait after
    // kIdleThreadExit. The accepted socket is blocking too, as BlockingStream wants it, and
    // inherits that timeout, which its BlockingStream is told (Run).
    {
      absl::MutexLock lock(&accepting_mu);
      accepting.insert(::pthread_self());
    }
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    int err = errno;
    {
      absl::MutexLock lock(&accepting_mu);
      accepting.erase(::pthread_self());
    }
    // Over its client's cap: closed at once (counted), and this thread accepts again.
    if (fd >= 0 && !(hold = PerClientLimit::Admit(limit, fd))) {
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
        spdlog::warn("accept: {}; pausing accepts for {} ms", base::ErrnoText(err),
                     kOutOfResourcesBackoff.count());
        std::this_thread::sleep_for(kOutOfResourcesBackoff);
        continue;
      case net::AcceptError::kFatal: {
        absl::MutexLock lock(&mu);
        error = base::SyscallError("accept", err);
        uint64_t one = 1;
        (void)!::write(failed.get(), &one, sizeof one);
        return -1;
      }
    }
  }
}

}  // namespace

absl::Status ThreadModel::ServeStreams(base::UniqueFd listener, int stop_fd,
                                       const protocols::StreamProtocol& protocol) {
  if (options_.pool_size == 0) {
    return ServeOnAcceptingThreads(std::move(listener), stop_fd, protocol);
  }
  // The pool: pool_size threads run AcceptAndServe (worker_pool.h), each waiting for the
  // listener, accepting one connection and serving it to its end, then waiting again. A drain
  // stops them accepting, tells the protocol, and cuts the connections still served at the
  // deadline (each registered in `connections`, which every thread holds a reference to, so one
  // still serving after the drain gave up on it ends on this registry, not on freed memory).
  const int fd = listener.get();
  auto connections = std::make_shared<CuttableConnections>();
  // Shared with every thread, as `connections` is: one still serving after the drain gave up
  // on it counts into this gauge, not into freed memory.
  absl::StatusOr<std::unique_ptr<PoolGauge>> made =
      PoolGauge::Create(options_.pool_size, options_.max_workers, fd);
  if (!made.ok()) return made.status();
  std::shared_ptr<PoolGauge> gauge = *std::move(made);
  ThreadWorkers workers(0, connections);
  return RunWorkerPool(
      workers, options_.pool_size, stop_fd, options_.drain_timeout,
      [fd, stop_fd, &protocol, board = options_.scoreboard, limit = options_.per_client_limit,
       connections,
       gauge] { AcceptAndServe(fd, stop_fd, protocol, board, limit, *connections, gauge.get()); },
      {.gauge = gauge.get(), .max_workers = options_.max_workers},
      [fd, &protocol, shared = options_.shared_listener] {
        ShutListener(fd, shared);
        protocol.BeginDrain();
      });
}

absl::Status ThreadModel::ServeDatagrams(base::UniqueFd socket, int stop_fd,
                                         const protocols::DatagramProtocol& protocol) {
  const int fd = socket.get();
  if (options_.pool_size > 0) {
    ThreadWorkers workers;
    return RunWorkerPool(workers, options_.pool_size, stop_fd, options_.drain_timeout,
                         [fd, stop_fd, &protocol, board = options_.scoreboard] {
                           ReceiveAndServe(fd, stop_fd, protocol, board);
                         });
  }
  // A thread per datagram, from the cache: finished_fd() need only wake the loop at the cap.
  ThreadWorkers workers(options_.max_workers);
  return ReceiveAndLaunch(fd, stop_fd, workers, options_.max_workers, options_.drain_timeout,
                          options_.scoreboard, protocol);
}

absl::Status ThreadModel::ServeOnAcceptingThreads(base::UniqueFd listener, int stop_fd,
                                                  const protocols::StreamProtocol& protocol) {
  const ModelOptions& options = options_;
  const int fd = listener.get();
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    return base::SyscallError("fcntl", errno);
  }
  const timeval idle{static_cast<time_t>(kIdleThreadExit.count()), 0};
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle) != 0) {
    return base::SyscallError("setsockopt SO_RCVTIMEO", errno);
  }
  auto shared = std::make_shared<AcceptingThreads>(fd, options.max_workers, protocol,
                                                   options.scoreboard, options.per_client_limit);
  AcceptingThreads& s = *shared;
  s.StartThread();
  if (s.threads.load() == 0) return absl::ResourceExhaustedError("cannot start a thread");

  // Until asked to stop or the listener breaks. Meanwhile, if a thread could not be started
  // (out of memory or of threads) when one was needed, nobody may be waiting to accept: retry.
  while (WaitForWork(stop_fd, -1, s.failed.get(), kStartRetryMs) == Wake::kTimeout) {
    if (s.waiting.load() == 0) s.StartThread();
  }
  s.draining.store(true);
  if (options.shared_listener) {
    // The agent's listener must stay listening for the next process: interrupt the threads
    // blocked in accept instead. A thread between its draining check and its accept misses a
    // signal, so it is sent again until none waits.
    const int wake = WakeSignal();
    struct sigaction action {};
    action.sa_handler = IgnoreWake;
    ::sigaction(wake, &action, nullptr);
    while (s.waiting.load() > 0) {
      {
        absl::MutexLock lock(&s.accepting_mu);
        for (pthread_t thread : s.accepting) ::pthread_kill(thread, wake);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } else {
    // Wakes every thread blocked in accept (it fails with EINVAL) and refuses new clients.
    ::shutdown(fd, SHUT_RD);
  }
  protocol.BeginDrain();
  absl::MutexLock lock(&s.mu);
  const auto none_waiting = [&s] { return s.waiting.load() == 0; };
  s.mu.Await(absl::Condition(&none_waiting));
  listener.Reset();  // no thread is in accept, and none will enter it again

  const auto none_serving = [&s] { return s.serving.load() == 0; };
  DrainWithin(net::Clock::now() + options.drain_timeout, "connection thread(s)",
              {.wait_until_finished =
                   [&](net::Deadline until) {
                     return s.mu.AwaitWithTimeout(absl::Condition(&none_serving),
                                                  absl::FromChrono(until - net::Clock::now()));
                   },
               .cut = [&s] { return s.connections.CutAll(); },
               .running = [&s] { return size_t{s.serving.load()}; }});
  // Threads whose connection ended have only to leave. A thread is done with the protocol and
  // the scoreboard only once it no longer counts among the threads (Run), so that count decides.
  const auto only_serving_left = [&s] { return s.threads.load() == s.serving.load(); };
  s.mu.Await(absl::Condition(&only_serving_left));
  if (const uint32_t alive = s.threads.load(); alive > 0) return WorkersStillRunning(alive);
  return s.error;
}

}  // namespace corral::models
