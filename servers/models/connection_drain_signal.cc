#include "servers/models/connection_drain_signal.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cerrno>

#include "spdlog/spdlog.h"

namespace corral::models {
namespace {

// What the handler may touch: lock-free atomics only.
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free &&
              std::atomic<pthread_t>::is_always_lock_free);
std::atomic<bool> drain_signalled{false};
std::atomic<int> served_fd{-1};
std::atomic<pthread_t> serving_thread{};

void RecordDrainSignal(int) {
  const int saved_errno = errno;
  drain_signalled.store(true, std::memory_order_relaxed);
  const int fd = served_fd.load(std::memory_order_acquire);
  const pthread_t server = serving_thread.load(std::memory_order_relaxed);
  if (fd < 0) {
    // No connection (any more): nothing to wake.
  } else if (!::pthread_equal(::pthread_self(), server)) {
    // Taken by another thread of the child (one its handler started): a receive blocked on the
    // serving thread would not see the shorter timeout, so the signal goes there too.
    ::pthread_kill(server, SIGTERM);
  } else {
    // The shortest timeout the kernel keeps (zero would mean none): a receive that starts or
    // restarts from here on ends within a tick.
    timeval tick{0, 1};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
  }
  errno = saved_errno;
}

}  // namespace

ConnectionDrainSignal::ConnectionDrainSignal(int connection_fd,
                                             const protocols::StreamProtocol& protocol)
    : protocol_(protocol) {
  // SIGTERM is still blocked here: one sent before now is pending and is recorded afresh below.
  drain_signalled.store(false, std::memory_order_relaxed);
  serving_thread.store(::pthread_self(), std::memory_order_relaxed);
  served_fd.store(connection_fd, std::memory_order_release);
  struct sigaction action {};
  action.sa_handler = RecordDrainSignal;
  sigemptyset(&action.sa_mask);
  // Restarted, so that nothing else the child does (a log write to a pipe) sees EINTR; a
  // receive on a socket with a timeout is never restarted (signal(7)), and one without reads
  // the tick the handler set when it restarts.
  action.sa_flags = SA_RESTART;
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  if (::sigaction(SIGTERM, &action, nullptr) != 0 ||
      ::pthread_sigmask(SIG_UNBLOCK, &term, nullptr) != 0) {
    // Both only fail on bad arguments; the connection is then served until the drain's cut.
    spdlog::warn("take SIGTERM in a connection's child: failed; it is served until the cut");
  }
}

ConnectionDrainSignal::~ConnectionDrainSignal() { served_fd.store(-1, std::memory_order_relaxed); }

void ConnectionDrainSignal::BeforeReceive() {
  if (drain_begun_ || !drain_signalled.load(std::memory_order_relaxed)) return;
  drain_begun_ = true;
  protocol_.BeginDrain();
}

}  // namespace corral::models
