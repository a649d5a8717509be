#include "servers/models/fork_model.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <optional>

#include "base/syscall_error.h"
#include "servers/models/accept_connection.h"
#include "servers/models/bounded_waiting.h"
#include "servers/models/child_drain_watcher.h"
#include "servers/models/connection_drain_signal.h"
#include "servers/models/cuttable_connections.h"
#include "servers/models/model_timings.h"
#include "servers/models/pool_gauge.h"
#include "servers/models/receive_and_launch.h"
#include "servers/models/serve_connection.h"
#include "servers/models/wait_for_work.h"
#include "servers/models/worker_pool.h"
#include "servers/models/worker_slot.h"
#include "servers/net/blocking_stream.h"
#include "spdlog/spdlog.h"

namespace corral::models {

std::unique_ptr<ProcessWorkers> ForkModel::MakeWorkers(int close_in_child) const {
  stats::Scoreboard* board = options_.scoreboard;
  return std::make_unique<ProcessWorkers>(
      [close_in_child] {
        if (close_in_child >= 0) ::close(close_in_child);
      },
      [board](pid_t pid, int status) {
        // A child that died mid-request; one killed by its own fault (a handler's SIGSEGV, not
        // the drain's SIGKILL) counts as an error of the connection it served.
        const bool crashed = WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL;
        if (board != nullptr) board->ReclaimSlotsOf(pid, crashed);
      });
}

absl::Status ForkModel::ServeStreams(base::UniqueFd listener, int stop_fd,
                                     const protocols::StreamProtocol& protocol) {
  const int fd = listener.get();
  if (options_.pool_size > 0) {
    // Pool children keep the listener: they accept on it themselves. Made before any child,
    // so that they all count into it.
    absl::StatusOr<std::unique_ptr<PoolGauge>> gauge =
        PoolGauge::Create(options_.pool_size, options_.max_workers, fd);
    if (!gauge.ok()) return gauge.status();
    std::unique_ptr<ProcessWorkers> workers = MakeWorkers(-1);
    return RunWorkerPool(
        *workers, options_.pool_size, stop_fd, options_.drain_timeout,
        [fd, stop_fd, &protocol, board = options_.scoreboard, limit = options_.per_client_limit,
         gauge = gauge->get()] {
          StartChildDrainWatcher(stop_fd, protocol);
          // A child's connection ends with the child: nothing to cut from
          // outside (the drain SIGKILLs instead).
          CuttableConnections own;
          AcceptAndServe(fd, stop_fd, protocol, board, limit, own, gauge);
        },
        {.gauge = gauge->get(), .max_workers = options_.max_workers},
        [fd, shared = options_.shared_listener] { ShutListener(fd, shared); });
  }
  std::unique_ptr<ProcessWorkers> workers = MakeWorkers(fd);
  absl::Status error = AcceptAndLaunch(fd, stop_fd, *workers, protocol);
  listener.Reset();  // new clients are refused from here on, not left in the backlog
  if (size_t stuck = workers->Drain(net::Clock::now() + options_.drain_timeout); stuck > 0) {
    return WorkersStillRunning(stuck);
  }
  return error;
}

absl::Status ForkModel::AcceptAndLaunch(int listener, int stop_fd, Workers& workers,
                                        const protocols::StreamProtocol& protocol) {
  constexpr int kBackoffMs = static_cast<int>(kOutOfResourcesBackoff.count());
  // At the cap, children idle between two requests yield to a waiting client (design decision
  // 23), told through a page they share with the server: kNone (below the cap), kAtCap,
  // kWaiting (the server saw the listener readable at the cap), kReserved (a child ends its
  // connection for that client, so no other does). Children closed the listener, so the server
  // looks at it for them.
  enum : int { kNone = 0, kAtCap = 1, kWaiting = 2, kReserved = 3 };
  void* page = ::mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return base::SyscallError("mmap", errno);
  auto* clients = static_cast<std::atomic<int>*>(page);  // zero-filled: kNone
  struct Unmap {
    void* page;
    ~Unmap() { ::munmap(page, sizeof(std::atomic<int>)); }
  } unmap{page};
  bool resting = false;  // out of descriptors: accept again only after a pause
  for (;;) {
    bool at_cap = workers.active() >= options_.max_workers;
    if (!at_cap) clients->store(kNone);  // accepting: nobody waits for a child's connection
    int expected = kNone;
    if (at_cap) clients->compare_exchange_strong(expected, kAtCap);
    const bool watch = !resting && (!at_cap || clients->load() == kAtCap);
    Wake wake = WaitForWork(stop_fd, watch ? listener : -1, workers.finished_fd(),
                            resting ? kBackoffMs : -1);
    if (wake == Wake::kStop) return absl::OkStatus();
    if (wake == Wake::kFinished) workers.Collect();
    if (wake == Wake::kTimeout) resting = false;
    if (wake != Wake::kWork) continue;
    if (at_cap) {
      clients->store(kWaiting);
      continue;
    }

    while (workers.active() < options_.max_workers) {
      Accepted accepted = AcceptConnection(listener);
      if (!accepted.fd) {
        if (accepted.error == net::AcceptError::kOutOfFds) {
          spdlog::warn("accept: {}; pausing accepts for {} ms", base::ErrnoText(accepted.err),
                       kBackoffMs);
          resting = true;
        } else if (accepted.error == net::AcceptError::kFatal) {
          return base::SyscallError("accept", accepted.err);
        }
        break;
      }
      // Over its client's cap: closed here at once (counted), no worker started.
      auto hold = PerClientLimit::Admit(options_.per_client_limit, accepted.fd.get());
      if (!hold) continue;
      // The child holds the client's place while it serves; if no child starts, it is given back.
      const PerClientLimit::Detached place = hold->Detach();
      int fd = accepted.fd.Release();
      if (!workers.Launch(fd, [fd, place, &protocol, board = options_.scoreboard, clients] {
            PerClientLimit::Hold held(place);
            std::optional<stats::SlotWriter> slot = ClaimWorkerSlot(board);
            BoundedWaiting waiting = BoundedWaiting::WithoutListener(
                [clients] { return clients->load() != kNone; },
                [clients] { return clients->load() == kWaiting; },
                [clients] {
                  int offered = kWaiting;
                  return clients->compare_exchange_strong(offered, kReserved);
                });
            net::BlockingStream stream(fd, net::BlockingStream::Accepted{});
            stream.set_waiting_clients(&waiting);
            // No watcher thread (it cost this model 45% of its Connection: close rate): the
            // drain's SIGTERM is recorded by a handler and acted on at the next receive,
            // unless the protocol watches the blocked signal itself.
            std::optional<ConnectionDrainSignal> drain;
            if (!protocol.WatchesDrainSignal()) {
              drain.emplace(fd, protocol);
              stream.set_before_receive([&drain] { drain->BeforeReceive(); });
            }
            ServeConnection(stream, slot ? &*slot : nullptr, protocol);
          })) {
        PerClientLimit::Hold(place).Release();
      }
    }
  }
}

absl::Status ForkModel::ServeDatagrams(base::UniqueFd socket, int stop_fd,
                                       const protocols::DatagramProtocol& protocol) {
  // Children keep the socket: they receive on it (pool) or send their reply on it.
  std::unique_ptr<ProcessWorkers> workers = MakeWorkers(-1);
  const int fd = socket.get();
  if (options_.pool_size > 0) {
    return RunWorkerPool(*workers, options_.pool_size, stop_fd, options_.drain_timeout,
                         [fd, stop_fd, &protocol, board = options_.scoreboard] {
                           ReceiveAndServe(fd, stop_fd, protocol, board);
                         });
  }
  return ReceiveAndLaunch(fd, stop_fd, *workers, options_.max_workers, options_.drain_timeout,
                          options_.scoreboard, protocol);
}

}  // namespace corral::models
