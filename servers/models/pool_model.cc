#include "servers/models/pool_model.h"

#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "servers/models/process_workers.h"
#include "servers/models/thread_workers.h"
#include "servers/models/wait_for_work.h"
#include "servers/models/worker_stats.h"
#include "servers/net/blocking_stream.h"
#include "servers/net/polling_datagram_sender.h"
#include "servers/net/syscall_error.h"
#include "spdlog/spdlog.h"

namespace corral::models {
namespace {

// One pool worker's life for streams: wait, accept (another worker may win the race: EAGAIN),
// serve, until the stop descriptor fires (a shared signalfd for threads; each child's own
// pending SIGTERM for processes).
void AcceptAndServe(int listener, int stop_fd, const protocols::StreamProtocol& protocol,
                    stats::Scoreboard* board, net::PerClientLimit* limit,
                    CuttableConnections& connections) {
  std::optional<stats::SlotWriter> slot = ClaimWorkerSlot(board);
  CuttableConnections::Slot mine(connections);
  SharedWorkWaiter waiter(stop_fd, listener);
  int rest_ms = -1;
  for (;;) {
    Wake wake = rest_ms < 0 ? waiter.Wait(-1) : WaitForWork(stop_fd, -1, -1, rest_ms);
    if (wake == Wake::kStop) return;
    rest_ms = -1;
    if (wake != Wake::kWork) continue;
    Accepted accepted = AcceptConnection(listener);
    if (!accepted.fd) {
      if (accepted.error == net::AcceptError::kOutOfFds) rest_ms = kOutOfFdsBackoffMs;
      if (accepted.error == net::AcceptError::kFatal) {
        spdlog::error("{}", std::string(net::SyscallError("accept", accepted.err).message()));
        return;
      }
      continue;
    }
    // Over its client's cap: closed at once (counted), and this worker accepts again; else the
    // client's place is held until the connection is served.
    std::optional<net::PerClientLimit::Hold> hold =
        net::PerClientLimit::Admit(limit, accepted.fd.get());
    if (!hold) continue;
    const int fd = accepted.fd.Release();
    mine.Serve(fd);
    {
      net::BlockingStream stream(fd, net::BlockingStream::Accepted{});
      ServeConnection(stream, slot ? &*slot : nullptr, protocol);
    }
    mine.CloseServed();
  }
}

// A busy datagram worker never waits, so it looks at the stop descriptor this often instead.
constexpr int kStopCheckInterval = 64;

// The same for datagrams: each worker receives and answers in turn. Under load a datagram is
// usually waiting, so the worker tries recvfrom first and polls (socket and stop descriptor)
// only when the socket is empty: two syscalls a datagram, not three.
void ReceiveAndServe(int socket, int stop_fd, const protocols::DatagramProtocol& protocol,
                     stats::Scoreboard* board) {
  std::optional<stats::SlotWriter> slot = ClaimWorkerSlot(board);
  std::string buffer(protocols::kMaxDatagramSize, '\0');
  net::PollingDatagramSender sender(socket);
  SharedWorkWaiter waiter(stop_fd, socket);
  for (int received = 0;; ++received) {
    if (received % kStopCheckInterval == 0 && WaitForWork(stop_fd, -1, -1, 0) == Wake::kStop) {
      return;
    }
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    ssize_t n = ::recvfrom(socket, buffer.data(), buffer.size(), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&peer), &peer_len);
    if (n < 0) {
      // Empty (or another worker took it): wait. EINTR or a stale ICMP error: try again.
      if (errno == EAGAIN && waiter.Wait(-1) == Wake::kStop) return;
      continue;
    }
    ServeDatagram(protocols::Datagram{buffer.data(), static_cast<size_t>(n),
                                      net::Address::FromSockaddr(reinterpret_cast<sockaddr*>(&peer),
                                                                 peer_len)},
                  sender, slot ? &*slot : nullptr, protocol);
  }
}

}  // namespace

absl::Status PoolModel::RunPool(int stop_fd, std::shared_ptr<CuttableConnections> connections,
                                const std::function<void()>& loop,
                                const std::function<void()>& on_stop) {
  std::unique_ptr<Workers> workers;
  if (kind_ == ModelKind::kThread) {
    workers = std::make_unique<ThreadWorkers>(0, std::move(connections));
  } else {
    stats::Scoreboard* board = options_.scoreboard;
    workers = std::make_unique<ProcessWorkers>(nullptr, [board](pid_t pid) {
      if (board != nullptr) board->ReclaimSlotsOf(pid);
    });
  }
  for (;;) {
    while (workers->active() < options_.pool_size) {
      if (!workers->Launch(-1, loop)) break;  // logged; retried when a worker ends
    }
    Wake wake = WaitForWork(stop_fd, -1, workers->finished_fd(), -1);
    if (wake == Wake::kStop) break;
    workers->Collect();
    if (workers->active() < options_.pool_size) {
      spdlog::warn("{} of {} pool workers left; starting replacements", workers->active(),
                   options_.pool_size);
    }
  }
  if (on_stop) on_stop();
  if (size_t stuck = workers->Drain(net::Clock::now() + options_.drain_timeout); stuck > 0) {
    return WorkersStillRunning(stuck);
  }
  return absl::OkStatus();
}

absl::Status PoolModel::ServeStreams(net::UniqueFd listener, int stop_fd,
                                     const protocols::StreamProtocol& protocol) {
  const int fd = listener.get();
  // Each worker holds a reference: a thread still serving after the drain gave up on it ends
  // on this registry instead of on freed memory.
  auto connections = std::make_shared<CuttableConnections>();
  // Thread workers share `protocol` with this thread; process workers have their own copies.
  std::function<void()> on_stop;
  if (kind_ == ModelKind::kThread) on_stop = [&protocol] { protocol.BeginDrain(); };
  return RunPool(
      stop_fd, connections,
      [fd, stop_fd, &protocol, board = options_.scoreboard, limit = options_.per_client_limit,
       connections] { AcceptAndServe(fd, stop_fd, protocol, board, limit, *connections); },
      on_stop);
}

absl::Status PoolModel::ServeDatagrams(net::UniqueFd socket, int stop_fd,
                                       const protocols::DatagramProtocol& protocol) {
  const int fd = socket.get();
  return RunPool(stop_fd, nullptr, [fd, stop_fd, &protocol, board = options_.scoreboard] {
    ReceiveAndServe(fd, stop_fd, protocol, board);
  });
}

}  // namespace corral::models
