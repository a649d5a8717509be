#include "servers/models/thread_workers.h"

#include <semaphore.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "servers/models/drain_policy.h"
#include "servers/models/model_timings.h"
#include "base/unique_fd.h"
#include "spdlog/spdlog.h"

namespace corral::models {
namespace {

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
  // number that was closed and reused meanwhile.
  void EndUnit(int handoff_fd) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Waits, with mu held, for the next unit: returns true with it in `unit` and mu released, or
  // false with the thread counted out and mu held again.
  bool Park(const std::shared_ptr<Parked>& me, Unit& unit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The thread is leaving: counts it out. Returns false, for Park.
  bool CountOut() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  Shared(size_t cap, std::shared_ptr<CuttableConnections> registered)
      : signal_from(cap), self_registered(std::move(registered)) {}

  const size_t signal_from;  // a unit ending with this many (or more) active writes `finished`
  const std::shared_ptr<CuttableConnections> self_registered;  // may be null
  base::UniqueFd finished{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};

  // Waiters (Drain) wait on conditions of these counts; absl::Mutex re-checks them on unlock.
  absl::Mutex mu;
  size_t active ABSL_GUARDED_BY(mu) = 0;      // units launched and not ended
  size_t threads ABSL_GUARDED_BY(mu) = 0;     // running a unit, parked, or exiting
  bool draining ABSL_GUARDED_BY(mu) = false;  // threads exit instead of parking
  std::vector<std::shared_ptr<Parked>> parked ABSL_GUARDED_BY(mu);  // most recently parked last
  std::unordered_set<int> handoff_fds ABSL_GUARDED_BY(mu);
};

void ThreadWorkers::Shared::Run(std::shared_ptr<Shared> self, Unit unit) {
  auto me = std::make_shared<Parked>();
  do {
    try {
      unit.work();
    } catch (const std::exception& e) {
      spdlog::error("worker thread: unexpected exception: {}", e.what());
    }
    unit.work = nullptr;  // what the work captured goes with it, not with the parked thread
    self->mu.Lock();
    self->EndUnit(unit.handoff_fd);
  } while (self->Park(me, unit));
  // The lock is released before `self`, which may be the last reference to it.
  self->mu.Unlock();
}

void ThreadWorkers::Shared::EndUnit(int handoff_fd) {
  bool signal = active >= signal_from;
  --active;
  if (handoff_fd >= 0) {
    handoff_fds.erase(handoff_fd);
    ::close(handoff_fd);
  }
  if (signal) {
    uint64_t one = 1;
    (void)!::write(finished.get(), &one, sizeof one);
  }
}

bool ThreadWorkers::Shared::Park(const std::shared_ptr<Parked>& me, Unit& unit) {
  if (!draining) {
    parked.push_back(me);
    mu.Unlock();
    if (!me->WaitUntil(MonotonicAfter(kIdleThreadExit))) {
      mu.Lock();
      auto listed = std::find(parked.begin(), parked.end(), me);
      if (listed != parked.end()) {  // idle too long, and nobody took this thread meanwhile
        parked.erase(listed);
        return CountOut();
      }
      mu.Unlock();
      me->Wait();  // taken just as the wait timed out: its post is on the way
    }
    if (me->next) {
      unit = *std::move(me->next);
      me->next.reset();
      return true;
    }
    mu.Lock();  // told to exit
  }
  return CountOut();
}

bool ThreadWorkers::Shared::CountOut() {
  --threads;
  return false;
}

ThreadWorkers::ThreadWorkers(size_t cap, std::shared_ptr<CuttableConnections> self_registered)
    : shared_(std::make_shared<Shared>(cap, std::move(self_registered))) {}

ThreadWorkers::~ThreadWorkers() { (void)Drain(net::Clock::now()); }

bool ThreadWorkers::Launch(int handoff_fd, std::function<void()> work) {
  Shared& s = *shared_;
  std::shared_ptr<Parked> idle;
  {
    absl::MutexLock lock(&s.mu);
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
    absl::MutexLock lock(&s.mu);
    --s.threads;
    s.EndUnit(handoff_fd);  // undoes the count and closes the descriptor
    return false;
  }
}

size_t ThreadWorkers::active() const {
  absl::MutexLock lock(&shared_->mu);
  return shared_->active;
}

int ThreadWorkers::finished_fd() const { return shared_->finished.get(); }

void ThreadWorkers::Collect() {
  uint64_t count;
  (void)!::read(shared_->finished.get(), &count, sizeof count);
}

size_t ThreadWorkers::Drain(net::Deadline deadline) {
  Shared& s = *shared_;
  absl::MutexLock lock(&s.mu);
  const bool drained_before = s.draining;  // then only wait for parked threads, as below
  s.draining = true;
  for (const std::shared_ptr<Parked>& idle : s.parked) {
    idle->exit = true;
    idle->Post();
  }
  s.parked.clear();
  if (!drained_before) {
    const auto none_active = [&s]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) { return s.active == 0; };
    DrainWithin(deadline, "worker thread(s)",
                {.wait_until_finished =
                     [&](net::Deadline until) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) {
                       return s.mu.AwaitWithTimeout(absl::Condition(&none_active),
                                                    absl::FromChrono(until - net::Clock::now()));
                     },
                 .cut = [&s]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) -> size_t {
                   for (int fd : s.handoff_fds) ::shutdown(fd, SHUT_RDWR);
                   return s.handoff_fds.size() +
                          (s.self_registered ? s.self_registered->CutAll() : 0);
                 },
                 .running = [&s]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) { return s.active; }});
  }
  // Threads told to exit above need only the lock to do so.
  const auto only_active_left = [&s]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu) {
    return s.threads == s.active;
  };
  s.mu.Await(absl::Condition(&only_active_left));
  return s.active;
}

}  // namespace corral::models
