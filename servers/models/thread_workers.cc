#include "servers/models/thread_workers.h"

#include <semaphore.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/unique_fd.h"
#include "spdlog/spdlog.h"

namespace corral::models {
namespace {

// After a drain cuts the remaining sockets, their threads get this long to unwind.
constexpr auto kCutGrace = std::chrono::seconds(1);

// How long a thread whose unit ended waits for the next one before exiting. Long enough to
// bridge the pauses between a client's bursts of connections; short enough that an idle server
// soon gives back the stacks (and the pages they touched) that a burst made it start.
constexpr auto kParkedIdle = std::chrono::seconds(10);

struct Unit {
  int handoff_fd = -1;
  std::function<void()> work;
};

// A thread's parking place, made once per thread. The thread sleeps on `ready` without holding
// Shared::mu, so the thread that hands it a unit wakes a thread that can run at once, instead of
// one that would first queue for the lock the waker still holds. Whoever takes it off
// Shared::parked (Launch or Drain) fills in `next` or `exit`, then posts `ready` exactly once;
// the shared_ptr it took keeps the semaphore alive across that post.
struct Parked {
  Parked() { ::sem_init(&ready, 0, 0); }
  ~Parked() { ::sem_destroy(&ready); }
  Parked(const Parked&) = delete;
  Parked& operator=(const Parked&) = delete;

  // Waits for the post until `deadline` (CLOCK_MONOTONIC); false on timeout.
  bool WaitUntil(const timespec& deadline) {
    for (;;) {
      if (::sem_clockwait(&ready, CLOCK_MONOTONIC, &deadline) == 0) return true;
      if (errno != EINTR) return false;
    }
  }
  void Wait() {
    while (::sem_wait(&ready) != 0) {
    }
  }
  void Post() { ::sem_post(&ready); }

  sem_t ready;
  std::optional<Unit> next;  // set by Launch before its post
  bool exit = false;         // set by Drain before its post
};

timespec MonotonicAfter(std::chrono::seconds delay) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_sec += delay.count();
  return now;
}

}  // namespace

// Everything the threads touch. Each thread holds a reference, so a unit that outlives the
// destructor (one a drain could not cut) ends on this state instead of on a freed object.
struct ThreadWorkers::Shared {
  // Runs `unit`, then each unit handed to the parked thread, until Park says to exit.
  static void Run(std::shared_ptr<Shared> self, Unit unit);

  // Closes the unit's descriptor and counts it out, so a drain never shuts down a descriptor
  // number that was closed and reused meanwhile. Requires mu.
  void EndUnit(int handoff_fd);
  // Waits, with `lock` on mu held, for the next unit: returns true with it in `unit` and the lock
  // released, or false with the thread counted out and the lock held again.
  bool Park(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Parked>& me, Unit& unit);
  // The thread is leaving: counts it out. Requires mu; returns false, for Park.
  bool CountOut();

  Shared(size_t cap, std::shared_ptr<CuttableConnections> registered)
      : signal_from(cap), self_registered(std::move(registered)) {}

  const size_t signal_from;  // a unit ending with this many (or more) active writes `finished`
  const std::shared_ptr<CuttableConnections> self_registered;  // may be null
  base::UniqueFd finished{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};

  std::mutex mu;
  std::condition_variable changed;              // active reached 0, or a thread exited
  size_t active = 0;                            // guarded by mu: units launched and not ended
  size_t threads = 0;                           // guarded by mu: running a unit, parked, or exiting
  bool draining = false;                        // guarded by mu: threads exit instead of parking
  std::vector<std::shared_ptr<Parked>> parked;  // guarded by mu: the most recently parked last
  std::unordered_set<int> handoff_fds;          // guarded by mu
};

void ThreadWorkers::Shared::Run(std::shared_ptr<Shared> self, Unit unit) {
  auto me = std::make_shared<Parked>();
  std::unique_lock lock(self->mu, std::defer_lock);
  do {
    try {
      unit.work();
    } catch (const std::exception& e) {
      spdlog::error("worker thread: unexpected exception: {}", e.what());
    }
    unit.work = nullptr;  // what the work captured goes with it, not with the parked thread
    lock.lock();
    self->EndUnit(unit.handoff_fd);
  } while (self->Park(lock, me, unit));
  // The lock is released before `self`, which may be the last reference to it.
}

void ThreadWorkers::Shared::EndUnit(int handoff_fd) {
  bool signal = active >= signal_from;
  --active;
  if (handoff_fd >= 0) {
    handoff_fds.erase(handoff_fd);
    ::close(handoff_fd);
  }
  if (active == 0) changed.notify_all();
  if (signal) {
    uint64_t one = 1;
    (void)!::write(finished.get(), &one, sizeof one);
  }
}

bool ThreadWorkers::Shared::Park(std::unique_lock<std::mutex>& lock,
                                 const std::shared_ptr<Parked>& me, Unit& unit) {
  if (!draining) {
    parked.push_back(me);
    lock.unlock();
    if (!me->WaitUntil(MonotonicAfter(kParkedIdle))) {
      lock.lock();
      auto listed = std::find(parked.begin(), parked.end(), me);
      if (listed != parked.end()) {  // idle too long, and nobody took this thread meanwhile
        parked.erase(listed);
        return CountOut();
      }
      lock.unlock();
      me->Wait();  // taken just as the wait timed out: its post is on the way
    }
    if (me->next) {
      unit = *std::move(me->next);
      me->next.reset();
      return true;
    }
    lock.lock();  // told to exit
  }
  return CountOut();
}

bool ThreadWorkers::Shared::CountOut() {
  --threads;
  changed.notify_all();
  return false;
}

ThreadWorkers::ThreadWorkers(size_t cap, std::shared_ptr<CuttableConnections> self_registered)
    : shared_(std::make_shared<Shared>(cap, std::move(self_registered))) {}

ThreadWorkers::~ThreadWorkers() { (void)Drain(net::Clock::now()); }

bool ThreadWorkers::Launch(int handoff_fd, std::function<void()> work) {
  Shared& s = *shared_;
  std::shared_ptr<Parked> idle;
  {
    std::lock_guard lock(s.mu);
    ++s.active;
    if (handoff_fd >= 0) s.handoff_fds.insert(handoff_fd);
    if (!s.parked.empty()) {
      // The most recently parked thread: its stack is the likeliest still in cache, and the
      // others are left to time out when the load drops.
      idle = std::move(s.parked.back());
      s.parked.pop_back();
    } else {
      ++s.threads;
    }
  }
  if (idle) {  // off the list, so only this thread touches it until the post
    idle->next = Unit{handoff_fd, std::move(work)};
    idle->Post();
    return true;
  }
  try {
    std::thread(&Shared::Run, shared_, Unit{handoff_fd, std::move(work)}).detach();
    return true;
  } catch (const std::system_error& e) {
    spdlog::error("start worker thread: {}", e.what());
    std::lock_guard lock(s.mu);
    --s.threads;
    s.EndUnit(handoff_fd);  // undoes the count and closes the descriptor
    return false;
  }
}

size_t ThreadWorkers::active() const {
  std::lock_guard lock(shared_->mu);
  return shared_->active;
}

int ThreadWorkers::finished_fd() const { return shared_->finished.get(); }

void ThreadWorkers::Collect() {
  uint64_t count;
  (void)!::read(shared_->finished.get(), &count, sizeof count);
}

size_t ThreadWorkers::Drain(net::Deadline deadline) {
  Shared& s = *shared_;
  std::unique_lock lock(s.mu);
  const bool drained_before = s.draining;  // then only wait for parked threads, as below
  s.draining = true;
  for (const std::shared_ptr<Parked>& idle : s.parked) {
    idle->exit = true;
    idle->Post();
  }
  s.parked.clear();
  if (!drained_before && !s.changed.wait_until(lock, deadline, [&s] { return s.active == 0; })) {
    spdlog::warn("drain deadline passed; cutting {} worker thread(s)", s.active);
    for (int fd : s.handoff_fds) ::shutdown(fd, SHUT_RDWR);
    if (s.self_registered) s.self_registered->CutAll();
    if (!s.changed.wait_for(lock, kCutGrace, [&s] { return s.active == 0; })) {
      spdlog::warn("{} worker thread(s) still running after the cut", s.active);
    }
  }
  // Threads told to exit above need only the lock to do so.
  s.changed.wait(lock, [&s] { return s.threads == s.active; });
  return s.active;
}

}  // namespace corral::models
