#include "servers/models/thread_workers.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <system_error>
#include <thread>

#include "spdlog/spdlog.h"

namespace corral::models {
namespace {

// After a drain cuts the remaining sockets, their threads get this long to unwind.
constexpr auto kCutGrace = std::chrono::seconds(1);

}  // namespace

ThreadWorkers::ThreadWorkers() : finished_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

ThreadWorkers::~ThreadWorkers() { Drain(net::Clock::now()); }

bool ThreadWorkers::Launch(int handoff_fd, std::function<void()> work) {
  {
    std::lock_guard lock(mu_);
    ++active_;
    if (handoff_fd >= 0) handoff_fds_.insert(handoff_fd);
  }
  try {
    std::thread([this, work = std::move(work), handoff_fd] {
      try {
        work();
      } catch (const std::exception& e) {
        spdlog::error("worker thread: unexpected exception: {}", e.what());
      }
      Finished(handoff_fd);
    }).detach();
    return true;
  } catch (const std::system_error& e) {
    spdlog::error("start worker thread: {}", e.what());
    Finished(handoff_fd);  // undoes the count and closes the descriptor
    return false;
  }
}

void ThreadWorkers::Finished(int handoff_fd) {
  {
    std::lock_guard lock(mu_);
    --active_;
    if (handoff_fd >= 0) {
      handoff_fds_.erase(handoff_fd);
      ::close(handoff_fd);
    }
    if (active_ == 0) none_active_.notify_all();
  }
  uint64_t one = 1;
  (void)!::write(finished_.get(), &one, sizeof one);
}

size_t ThreadWorkers::active() const {
  std::lock_guard lock(mu_);
  return active_;
}

void ThreadWorkers::Collect() {
  uint64_t count;
  (void)!::read(finished_.get(), &count, sizeof count);
}

void ThreadWorkers::Drain(net::Deadline deadline) {
  std::unique_lock lock(mu_);
  if (none_active_.wait_until(lock, deadline, [this] { return active_ == 0; })) return;
  spdlog::warn("drain deadline passed; cutting {} worker thread(s)", active_);
  for (int fd : handoff_fds_) ::shutdown(fd, SHUT_RDWR);
  if (!none_active_.wait_for(lock, kCutGrace, [this] { return active_ == 0; })) {
    spdlog::warn("{} worker thread(s) still running after the cut", active_);
  }
}

}  // namespace corral::models
