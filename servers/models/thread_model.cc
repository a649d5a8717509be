#include "servers/models/thread_model.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <thread>

#include "servers/net/polling_stream.h"
#include "servers/net/socket.h"
#include "servers/net/syscall_error.h"
#include "spdlog/spdlog.h"

namespace corral::models {
namespace {

// How long the accept loop rests when the process is out of descriptors, instead of spinning
// on a listener that stays readable.
constexpr int kOutOfFdsBackoffMs = 100;
// After the drain deadline, cut connections get this long to unwind before Serve returns.
constexpr auto kCutGrace = std::chrono::seconds(1);

}  // namespace

absl::Status ThreadModel::Serve(net::UniqueFd listener, int stop_fd,
                                const protocols::StreamProtocol& protocol) {
  worker_done_.Reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!worker_done_) return net::SyscallError("eventfd", errno);

  absl::Status error;
  bool out_of_fds = false;
  for (;;) {
    bool at_cap = ActiveCount() >= options_.max_workers;
    // At the cap, wait for a worker to finish instead of for new connections.
    pollfd fds[2] = {{stop_fd, POLLIN, 0},
                     {at_cap ? worker_done_.get() : listener.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, out_of_fds ? kOutOfFdsBackoffMs : -1);
    if (n < 0 && errno != EINTR) {
      error = net::SyscallError("poll", errno);
      break;
    }
    if (fds[0].revents != 0) break;
    uint64_t ignored;
    while (::read(worker_done_.get(), &ignored, sizeof ignored) > 0) {
    }
    if (at_cap) continue;
    out_of_fds = false;
    if (!AcceptPending(listener.get(), protocol, error, out_of_fds)) break;
  }
  listener.Reset();  // new clients are refused from here on, not left in the backlog
  Drain();
  return error;
}

bool ThreadModel::AcceptPending(int listener, const protocols::StreamProtocol& protocol,
                                absl::Status& error, bool& out_of_fds) {
  while (ActiveCount() < options_.max_workers) {
    net::UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      int err = errno;
      if (err == EAGAIN) return true;
      switch (net::ClassifyAcceptErrno(err)) {
        case net::AcceptError::kRetry:
          continue;
        case net::AcceptError::kOutOfFds:
          spdlog::warn("accept: {}; pausing accepts for {} ms", net::ErrnoText(err),
                       kOutOfFdsBackoffMs);
          out_of_fds = true;
          return true;
        case net::AcceptError::kFatal:
          error = net::SyscallError("accept", err);
          return false;
      }
    }
    net::SetNoDelay(fd.get());
    int raw = fd.get();
    {
      std::lock_guard lock(mu_);
      active_.insert(raw);
    }
    try {
      std::thread(&ThreadModel::RunConnection, this, std::move(fd), std::cref(protocol)).detach();
    } catch (const std::system_error& e) {
      // The thread never started; std::thread destroyed its copy of the arguments, which
      // closed the socket, so only the bookkeeping is left to undo.
      spdlog::error("start connection thread: {}", e.what());
      std::lock_guard lock(mu_);
      active_.erase(raw);
    }
  }
  return true;
}

void ThreadModel::RunConnection(net::UniqueFd fd, const protocols::StreamProtocol& protocol) {
  int raw = fd.get();
  {
    net::PollingStream stream(std::move(fd));
    try {
      protocol.Serve(stream);
    } catch (const std::exception& e) {
      spdlog::error("connection handler threw: {}", e.what());
    }
  }  // the socket closes here, before the slot is given back
  {
    std::lock_guard lock(mu_);
    active_.erase(raw);
    if (active_.empty()) idle_.notify_all();
  }
  uint64_t one = 1;
  (void)!::write(worker_done_.get(), &one, sizeof one);
}

size_t ThreadModel::ActiveCount() {
  std::lock_guard lock(mu_);
  return active_.size();
}

void ThreadModel::Drain() {
  std::unique_lock lock(mu_);
  if (!active_.empty()) {
    spdlog::info("draining {} connection(s) for up to {} ms", active_.size(),
                 options_.drain_timeout.count());
  }
  if (idle_.wait_for(lock, options_.drain_timeout, [this] { return active_.empty(); })) return;
  spdlog::warn("drain deadline passed; cutting {} connection(s)", active_.size());
  for (int fd : active_) ::shutdown(fd, SHUT_RDWR);
  idle_.wait_for(lock, kCutGrace, [this] { return active_.empty(); });
}

}  // namespace corral::models
