#include "servers/models/coroutine_model.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <latch>
#include <thread>

#include "servers/models/hub_server.h"
#include "servers/net/socket.h"

namespace corral::models {
namespace {

// Runs `serve(server, started)` for each socket on its own hub thread until `stop_fd` fires,
// then drains every hub and joins the threads.
template <typename Serve>
absl::Status RunHubs(std::vector<net::UniqueFd> sockets, int stop_fd, const ModelOptions& options,
                     Serve serve) {
  const uint32_t hubs = static_cast<uint32_t>(sockets.size());
  const uint32_t per_hub = std::max<uint32_t>(1, options.max_workers / hubs);
  std::vector<std::unique_ptr<HubServer>> servers;
  for (net::UniqueFd& socket : sockets) {
    servers.push_back(std::make_unique<HubServer>(std::move(socket), per_hub, options.drain_timeout,
                                                  options.scoreboard));
  }
  std::latch started(hubs);
  std::vector<std::thread> threads;
  for (auto& server : servers) {
    threads.emplace_back([&serve, &started, s = server.get()] { serve(*s, started); });
  }
  started.wait();

  pollfd pfd{stop_fd, POLLIN, 0};
  while (::poll(&pfd, 1, -1) < 0 && errno == EINTR) {
  }
  for (auto& server : servers) server->RequestDrain();
  for (std::thread& t : threads) t.join();
  return absl::OkStatus();
}

}  // namespace

uint32_t CoroutineModel::HubCount(const ModelOptions& options) {
  if (options.hubs != 0) return options.hubs;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  return cpus > 0 ? static_cast<uint32_t>(cpus) : 1;
}

absl::StatusOr<std::vector<net::UniqueFd>> CoroutineModel::SocketsPerHub(net::UniqueFd first,
                                                                         bool datagrams) const {
  absl::StatusOr<net::Address> bound = net::LocalAddress(first.get());
  if (!bound.ok()) return bound.status();
  std::vector<net::UniqueFd> sockets;
  sockets.push_back(std::move(first));
  net::ListenOptions listen_options;
  listen_options.reuse_port = true;
  listen_options.check_port_free = false;  // joining our own group on the known port
  if (!datagrams) {  // and holding connections back as the first listener does
    absl::StatusOr<int> defer = net::DeferAcceptSeconds(sockets.front().get());
    if (!defer.ok()) return defer.status();
    listen_options.defer_accept_seconds = *defer;
  }
  for (uint32_t i = 1; i < HubCount(options_); ++i) {
    absl::StatusOr<net::UniqueFd> socket =
        datagrams ? net::BindUdp(*bound, /*reuse_port=*/true, /*check_port_free=*/false)
                  : net::ListenTcp(*bound, listen_options);
    if (!socket.ok()) return socket.status();
    sockets.push_back(*std::move(socket));
  }
  return sockets;
}

absl::Status CoroutineModel::ServeStreams(net::UniqueFd listener, int stop_fd,
                                          const protocols::StreamProtocol& protocol) {
  absl::StatusOr<std::vector<net::UniqueFd>> sockets = SocketsPerHub(std::move(listener), false);
  if (!sockets.ok()) return sockets.status();
  return RunHubs(*std::move(sockets), stop_fd, options_,
                 [&protocol](HubServer& server, std::latch& started) {
                   server.ServeStreams(protocol, started);
                 });
}

absl::Status CoroutineModel::ServeDatagrams(net::UniqueFd socket, int stop_fd,
                                            const protocols::DatagramProtocol& protocol) {
  absl::StatusOr<std::vector<net::UniqueFd>> sockets = SocketsPerHub(std::move(socket), true);
  if (!sockets.ok()) return sockets.status();
  return RunHubs(*std::move(sockets), stop_fd, options_,
                 [&protocol](HubServer& server, std::latch& started) {
                   server.ServeDatagrams(protocol, started);
                 });
}

}  // namespace corral::models
