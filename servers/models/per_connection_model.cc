#include "servers/models/per_connection_model.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "servers/models/accepting_threads.h"
#include "servers/models/process_workers.h"
#include "servers/models/thread_workers.h"
#include "servers/models/wait_for_work.h"
#include "servers/models/worker_stats.h"
#include "servers/net/blocking_stream.h"
#include "servers/net/polling_datagram_sender.h"
#include "servers/net/syscall_error.h"
#include "spdlog/spdlog.h"

namespace corral::models {

std::unique_ptr<Workers> PerConnectionModel::MakeWorkers(int close_in_child) const {
  if (kind_ == ModelKind::kThread) return std::make_unique<ThreadWorkers>(options_.max_workers);
  stats::Scoreboard* board = options_.scoreboard;
  return std::make_unique<ProcessWorkers>(
      [close_in_child] {
        if (close_in_child >= 0) ::close(close_in_child);
      },
      [board](pid_t pid) {
        if (board != nullptr) board->ReclaimSlotsOf(pid);  // a child that died mid-request
      });
}

absl::Status PerConnectionModel::ServeStreams(net::UniqueFd listener, int stop_fd,
                                              const protocols::StreamProtocol& protocol) {
  if (kind_ == ModelKind::kThread) {
    return ServeStreamsOnAcceptingThreads(std::move(listener), stop_fd, protocol, options_);
  }
  std::unique_ptr<Workers> workers = MakeWorkers(listener.get());
  absl::Status error;
  bool resting = false;  // out of descriptors: accept again only after a pause
  for (;;) {
    bool at_cap = workers->active() >= options_.max_workers;
    Wake wake = WaitForWork(stop_fd, at_cap || resting ? -1 : listener.get(),
                            workers->finished_fd(), resting ? kOutOfFdsBackoffMs : -1);
    if (wake == Wake::kStop) break;
    if (wake == Wake::kFinished) workers->Collect();
    if (wake == Wake::kTimeout) resting = false;
    if (wake != Wake::kWork) continue;

    while (workers->active() < options_.max_workers) {
      Accepted accepted = AcceptConnection(listener.get());
      if (!accepted.fd) {
        if (accepted.error == net::AcceptError::kOutOfFds) {
          spdlog::warn("accept: {}; pausing accepts for {} ms", net::ErrnoText(accepted.err),
                       kOutOfFdsBackoffMs);
          resting = true;
        } else if (accepted.error == net::AcceptError::kFatal) {
          error = net::SyscallError("accept", accepted.err);
        }
        break;
      }
      // Over its client's cap: closed here at once (counted), no worker started.
      auto hold = net::PerClientLimit::Admit(options_.per_client_limit, accepted.fd.get());
      if (!hold) continue;
      // The child holds the client's place while it serves; if no child starts, it is given back.
      const net::PerClientLimit::Detached place = hold->Detach();
      int fd = accepted.fd.Release();
      if (!workers->Launch(fd, [fd, place, &protocol, board = options_.scoreboard] {
            net::PerClientLimit::Hold held(place);
            std::optional<stats::SlotWriter> slot = ClaimWorkerSlot(board);
            net::BlockingStream stream(fd, net::BlockingStream::Accepted{});
            ServeConnection(stream, slot ? &*slot : nullptr, protocol);
          })) {
        net::PerClientLimit::Hold(place).Release();
      }
    }
    if (!error.ok()) break;
  }
  listener.Reset();  // new clients are refused from here on, not left in the backlog
  if (size_t stuck = workers->Drain(net::Clock::now() + options_.drain_timeout); stuck > 0) {
    return WorkersStillRunning(stuck);
  }
  return error;
}

absl::Status PerConnectionModel::ServeDatagrams(net::UniqueFd socket, int stop_fd,
                                                const protocols::DatagramProtocol& protocol) {
  // Children keep the socket: they send their reply on it.
  std::unique_ptr<Workers> workers = MakeWorkers(-1);
  const int fd = socket.get();
  std::string buffer(protocols::kMaxDatagramSize, '\0');
  absl::Status error;
  for (;;) {
    bool at_cap = workers->active() >= options_.max_workers;
    Wake wake = WaitForWork(stop_fd, at_cap ? -1 : fd, workers->finished_fd(), -1);
    if (wake == Wake::kStop) break;
    if (wake == Wake::kFinished) workers->Collect();
    if (wake != Wake::kWork) continue;

    while (workers->active() < options_.max_workers) {
      sockaddr_storage peer{};
      socklen_t peer_len = sizeof peer;
      ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), 0,
                             reinterpret_cast<sockaddr*>(&peer), &peer_len);
      if (n < 0) {
        if (errno == EINTR) continue;
        // ECONNREFUSED and friends report an earlier send's ICMP error; nothing to serve.
        if (errno != EAGAIN && errno != ECONNREFUSED && errno != EHOSTUNREACH &&
            errno != ENETUNREACH) {
          error = net::SyscallError("recvfrom", errno);
        }
        break;
      }
      // The worker gets its own copy: the buffer is reused for the next datagram at once.
      auto request = std::make_shared<const std::string>(buffer.data(), static_cast<size_t>(n));
      net::Address from = net::Address::FromSockaddr(reinterpret_cast<sockaddr*>(&peer), peer_len);
      workers->Launch(-1, [fd, request, from, &protocol, board = options_.scoreboard] {
        std::optional<stats::SlotWriter> slot = ClaimWorkerSlot(board);
        net::PollingDatagramSender sender(fd);
        ServeDatagram(protocols::Datagram{request->data(), request->size(), from}, sender,
                      slot ? &*slot : nullptr, protocol);
      });
    }
    if (!error.ok()) break;
  }
  if (size_t stuck = workers->Drain(net::Clock::now() + options_.drain_timeout); stuck > 0) {
    return WorkersStillRunning(stuck);
  }
  return error;
}

}  // namespace corral::models
