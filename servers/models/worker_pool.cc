#include "servers/models/worker_pool.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>

#include "base/syscall_error.h"
#include "servers/models/accept_connection.h"
#include "servers/models/bounded_waiting.h"
#include "servers/models/model.h"
#include "servers/models/model_timings.h"
#include "servers/models/serve_connection.h"
#include "servers/models/wait_for_work.h"
#include "servers/models/worker_slot.h"
#include "servers/net/blocking_stream.h"
#include "servers/net/polling_datagram_sender.h"
#include "servers/net/socket.h"
#include "servers/stats/socket_drops.h"
#include "spdlog/spdlog.h"

namespace corral::models {
namespace {

// A busy datagram worker never waits, so it looks at the stop descriptor this often instead.
constexpr int kStopCheckInterval = 64;

constexpr int kBackoffMs = static_cast<int>(kOutOfResourcesBackoff.count());

// How often a growing pool's server looks at its listener in case the gauge's count is stale.
constexpr int kStarvedCheckMs = 1000;

constexpr int kIdleExitMs = static_cast<int>(std::chrono::milliseconds(kIdleThreadExit).count());

}  // namespace

absl::Status RunWorkerPool(Workers& workers, uint32_t pool_size, int stop_fd,
                           std::chrono::milliseconds drain_timeout,
                           const std::function<void()>& loop, const PoolGrowth& growth,
                           const std::function<void()>& on_stop) {
  PoolGauge* const gauge = growth.gauge;
  const size_t most = std::max(pool_size, growth.max_workers);
  // A worker counts as waiting from its launch, not from when it gets to run: workers launched
  // together for a queue of clients are not asked for again by the first of them to accept.
  const auto launch = [&] {
    if (gauge != nullptr) gauge->EnterWait();
    if (workers.Launch(-1, loop)) return true;
    if (gauge != nullptr) gauge->CancelWait();
    return false;
  };
  for (;;) {
    while (workers.active() < pool_size) {
      if (!launch()) break;  // logged; retried when a worker ends
    }
    if (gauge != nullptr) gauge->SetWorkers(workers.active());
    Wake wake = WaitForWork(stop_fd, gauge ? gauge->request_fd() : -1, workers.finished_fd(),
                            gauge ? kStarvedCheckMs : -1);
    if (wake == Wake::kStop) break;
    if (wake == Wake::kTimeout) {  // only with a gauge: a stale count's backstop
      if (gauge->StillStarved() && workers.active() < most) launch();
      continue;
    }
    workers.Collect();
    // The request is always taken, at the cap too: left readable it would wake this loop at once.
    if (wake == Wake::kWork) {
      for (uint32_t wanted = gauge->TakeRequest(); wanted > 0 && workers.active() < most;
           --wanted) {
        if (!launch()) break;  // logged; asked again by the next worker
      }
    }
    if (workers.active() < pool_size) {
      spdlog::warn("{} of {} pool workers left; starting replacements", workers.active(),
                   pool_size);
    }
  }
  if (on_stop) on_stop();
  if (size_t stuck = workers.Drain(net::Clock::now() + drain_timeout); stuck > 0) {
    return WorkersStillRunning(stuck);
  }
  return absl::OkStatus();
}

void ShutListener(int listener, bool shared) {
  if (shared) return;
  // On a listening socket this stops listening (Linux): connections still queued are reset and
  // new ones refused, in every process holding a copy of it.
  ::shutdown(listener, SHUT_RD);
}

void AcceptAndServe(int listener, int stop_fd, const protocols::StreamProtocol& protocol,
                    stats::Scoreboard* board, PerClientLimit* limit,
                    CuttableConnections& connections, PoolGauge* gauge) {
  std::optional<stats::SlotWriter> slot = ClaimWorkerSlot(board);
  CuttableConnections::Slot mine(connections);
  SharedWorkWaiter waiter(stop_fd, listener);
  // At max_workers an idle connection yields to a client waiting to be accepted: its worker
  // takes a waiting place in advance and accepts once the connection has ended.
  BoundedWaiting waiting(
      listener, [gauge] { return gauge->AtBound(); },
      [gauge] { return gauge->ReserveWaitingPlace(); });
  int rest_ms = -1;  // counted as waiting in `gauge` by RunWorkerPool, which launched it
  for (;;) {
    Wake wake = rest_ms >= 0       ? WaitForWork(stop_fd, -1, -1, rest_ms)
                : gauge != nullptr ? waiter.Wait(kIdleExitMs)
                                   : waiter.Wait(-1);
    if (wake == Wake::kStop) return;
    if (wake == Wake::kTimeout && rest_ms < 0 && gauge != nullptr && gauge->RetireIdle()) return;
    rest_ms = -1;
    if (wake != Wake::kWork) continue;
    // The accept site of the pool, under fork and thread alike.
    Accepted accepted = AcceptConnection(listener);
    if (!accepted.fd) {
      if (accepted.error == net::AcceptError::kOutOfFds) rest_ms = kBackoffMs;
      if (accepted.error == net::AcceptError::kFatal) {
        // EINVAL: the server shut the listener down, as it does when it drains (ShutListener).
        if (accepted.err != EINVAL) {
          spdlog::error("{}", std::string(base::SyscallError("accept", accepted.err).message()));
        }
        return;
      }
      continue;
    }
    // Over its client's cap: closed at once (counted), and this worker accepts again; else the
    // client's place is held until the connection is served.
    std::optional<PerClientLimit::Hold> hold = PerClientLimit::Admit(limit, accepted.fd.get());
    if (!hold) continue;
    const int fd = accepted.fd.Release();
    mine.Serve(fd);
    if (gauge != nullptr) gauge->LeaveWait();  // the last one waiting asks for another
    {
      net::BlockingStream stream(fd, net::BlockingStream::Accepted{});
      if (gauge != nullptr) stream.set_waiting_clients(&waiting);
      ServeConnection(stream, slot ? &*slot : nullptr, protocol);
    }
    mine.CloseServed();
    if (gauge != nullptr && !waiting.TakeReservation()) gauge->EnterWait();
  }
}

// Under load a datagram is usually waiting, so the worker tries recvfrom first and polls
// (socket and stop descriptor) only when the socket is empty: two syscalls a datagram, not three.
void ReceiveAndServe(int socket, int stop_fd, const protocols::DatagramProtocol& protocol,
                     stats::Scoreboard* board) {
  std::optional<stats::SlotWriter> slot = ClaimWorkerSlot(board);
  std::string buffer(protocols::kMaxDatagramSize, '\0');
  net::PollingDatagramSender sender(socket);
  SharedWorkWaiter waiter(stop_fd, socket);
  stats::SocketDrops drops(socket, board);  // what the kernel drops shows in the stats
  for (int received = 0;; ++received) {
    if (received % kStopCheckInterval == 0 && WaitForWork(stop_fd, -1, -1, 0) == Wake::kStop) {
      return;
    }
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    ssize_t n = drops.ReceiveFrom(buffer.data(), buffer.size(), MSG_DONTWAIT,
                                  reinterpret_cast<sockaddr*>(&peer), &peer_len);
    if (n < 0) {
      const int err = errno;
      switch (net::ClassifyReceiveErrno(err)) {
        case net::ReceiveError::kRetry:
          // Empty (or another worker took it): wait. EINTR or a stale ICMP error: try again.
          if (err == EAGAIN && waiter.Wait(-1) == Wake::kStop) return;
          continue;
        case net::ReceiveError::kOutOfResources:
          spdlog::warn("recvfrom: {}; pausing receives for {} ms", base::ErrnoText(err),
                       kBackoffMs);
          if (WaitForWork(stop_fd, -1, -1, kBackoffMs) == Wake::kStop) return;
          continue;
        case net::ReceiveError::kFatal:
          spdlog::error("{}", std::string(base::SyscallError("recvfrom", err).message()));
          return;
      }
    }
    ServeDatagram(protocols::Datagram{buffer.data(), static_cast<size_t>(n),
                                      net::Address::FromSockaddr(reinterpret_cast<sockaddr*>(&peer),
                                                                 peer_len)},
                  sender, slot ? &*slot : nullptr, protocol);
  }
}

}  // namespace corral::models
