#include "servers/models/receive_and_launch.h"

#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>

#include "servers/models/model.h"
#include "servers/models/model_timings.h"
#include "servers/models/serve_connection.h"
#include "servers/models/wait_for_work.h"
#include "servers/models/worker_slot.h"
#include "servers/net/polling_datagram_sender.h"
#include "servers/net/socket.h"
#include "base/syscall_error.h"
#include "servers/stats/socket_drops.h"
#include "spdlog/spdlog.h"

namespace corral::models {

absl::Status ReceiveAndLaunch(int socket, int stop_fd, Workers& workers, uint32_t max_workers,
                              std::chrono::milliseconds drain_timeout, stats::Scoreboard* board,
                              const protocols::DatagramProtocol& protocol) {
  constexpr int kBackoffMs = static_cast<int>(kOutOfResourcesBackoff.count());
  std::string buffer(protocols::kMaxDatagramSize, '\0');
  absl::Status error;
  bool resting = false;  // out of memory: receive again only after a pause
  // What the kernel drops on the socket shows in the stats.
  stats::SocketDrops drops(socket, board);
  for (;;) {
    bool at_cap = workers.active() >= max_workers;
    Wake wake = WaitForWork(stop_fd, at_cap || resting ? -1 : socket, workers.finished_fd(),
                            resting ? kBackoffMs : -1);
    if (wake == Wake::kStop) break;
    if (wake == Wake::kFinished) workers.Collect();
    if (wake == Wake::kTimeout) resting = false;
    if (wake != Wake::kWork) continue;

    while (workers.active() < max_workers) {
      sockaddr_storage peer{};
      socklen_t peer_len = sizeof peer;
      ssize_t n = drops.ReceiveFrom(buffer.data(), buffer.size(), 0,
                                    reinterpret_cast<sockaddr*>(&peer), &peer_len);
      if (n < 0) {
        if (errno == EINTR) continue;
        const net::ReceiveError kind = net::ClassifyReceiveErrno(errno);
        if (kind == net::ReceiveError::kOutOfResources) {
          spdlog::warn("recvfrom: {}; pausing receives for {} ms", base::ErrnoText(errno),
                       kBackoffMs);
          resting = true;
        } else if (kind == net::ReceiveError::kFatal) {
          error = base::SyscallError("recvfrom", errno);
        }
        break;  // back to the wait
      }
      // The worker gets its own copy: the buffer is reused for the next datagram at once.
      auto request = std::make_shared<const std::string>(buffer.data(), static_cast<size_t>(n));
      net::Address from = net::Address::FromSockaddr(reinterpret_cast<sockaddr*>(&peer), peer_len);
      workers.Launch(-1, [socket, request, from, &protocol, board] {
        std::optional<stats::SlotWriter> slot = ClaimWorkerSlot(board);
        net::PollingDatagramSender sender(socket);
        ServeDatagram(protocols::Datagram{request->data(), request->size(), from}, sender,
                      slot ? &*slot : nullptr, protocol);
      });
    }
    if (!error.ok()) break;
  }
  if (size_t stuck = workers.Drain(net::Clock::now() + drain_timeout); stuck > 0) {
    return WorkersStillRunning(stuck);
  }
  return error;
}

}  // namespace corral::models
