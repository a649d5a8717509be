#include "servers/models/coroutine_model.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/syscall_error.h"
#include "servers/coro/hub.h"
#include "servers/coro/stall_detector.h"
#include "servers/models/hub_server.h"
#include "servers/models/hub_stall_watch.h"
#include "servers/net/receive_buffer.h"
#include "servers/net/socket.h"
#include "spdlog/spdlog.h"

namespace corral::models {
namespace {

// How much longer than a healthy hub's stop the drain waits before it gives a hub up.
constexpr auto kStopMargin = std::chrono::seconds(1);

// Runs `serve(server, started)` for each socket on its own hub thread until `stop_fd` fires,
// then asks every hub to drain, runs `on_stop`, and joins the threads. A hub whose thread a
// greenlet holds in a call that does not yield (so not even its drain can run) is given up after
// HubServer::StopBound and a margin: its thread is left running and the drain returns
// WorkersStillRunning.
template <typename Serve, typename OnStop>
absl::Status RunHubs(std::vector<base::UniqueFd> sockets, int stop_fd, const ModelOptions& options,
                     Serve serve, OnStop on_stop) {
  // Held by every hub thread too, so one given up on ends on this, not on freed memory.
  struct Hubs {
    std::vector<std::unique_ptr<HubServer>> servers;
    absl::Mutex mu;
    uint32_t running ABSL_GUARDED_BY(mu) = 0;
  };
  auto hubs = std::make_shared<Hubs>();
  const uint32_t count = static_cast<uint32_t>(sockets.size());
  for (uint32_t i = 0; i < count; ++i) {
    hubs->servers.push_back(std::make_unique<HubServer>(
        std::move(sockets[i]), CoroutineModel::HubCap(options.max_workers, count, i),
        options.drain_timeout, options.scoreboard, options.per_client_limit));
  }
  {
    absl::MutexLock lock(&hubs->mu);
    hubs->running = count;
  }
  std::latch started(count);
  std::vector<std::thread> threads;
  // Shared with the hub threads, which may outlive this call (see above).
  std::shared_ptr<coro::StallDetector> stalls = MakeStallDetector(options);
  for (auto& server : hubs->servers) {
    threads.emplace_back([hubs, serve, &started, stalls, s = server.get()] {
      const size_t watch = stalls != nullptr ? stalls->Watch(&coro::Hub::Current()) : 0;
      serve(*s, started);  // counts `started` down before it serves, then never touches it
      if (stalls != nullptr) stalls->Unwatch(watch);
      absl::MutexLock lock(&hubs->mu);
      --hubs->running;
    });
  }
  started.wait();

  pollfd pfd{stop_fd, POLLIN, 0};
  while (::poll(&pfd, 1, -1) < 0 && errno == EINTR) {
  }
  // Once the hubs stop accepting: a client told to leave then reconnects to a closed port, not
  // into a backlog about to be reset.
  for (auto& server : hubs->servers) server->RequestDrain();
  on_stop();
  const auto bound = HubServer::StopBound(options.drain_timeout) + kStopMargin;
  hubs->mu.Lock();
  const auto all_ended = [&hubs]()
                             ABSL_EXCLUSIVE_LOCKS_REQUIRED(hubs->mu) { return hubs->running == 0; };
  if (!hubs->mu.AwaitWithTimeout(absl::Condition(&all_ended), absl::FromChrono(bound))) {
    const uint32_t stuck = hubs->running;
    hubs->mu.Unlock();
    spdlog::warn("{} hub thread(s) did not stop within {} ms of the drain's start", stuck,
                 bound.count());
    for (std::thread& t : threads) t.detach();
    return WorkersStillRunning(stuck);
  }
  hubs->mu.Unlock();
  for (std::thread& t : threads) t.join();
  return absl::OkStatus();
}

}  // namespace

uint32_t CoroutineModel::HubCount(const ModelOptions& options) {
  uint32_t hubs = options.hubs;
  if (hubs == 0) {
    long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    hubs = cpus > 0 ? static_cast<uint32_t>(cpus) : 1;
  }
  // A hub serves at least one connection at once: more hubs than max_workers would serve more.
  return std::max<uint32_t>(1, std::min(hubs, options.max_workers));
}

uint32_t CoroutineModel::HubCap(uint32_t max_workers, uint32_t hubs, uint32_t hub) {
  return max_workers / hubs + (hub < max_workers % hubs ? 1 : 0);
}

absl::StatusOr<std::vector<base::UniqueFd>> CoroutineModel::SocketsPerHub(base::UniqueFd first,
                                                                          bool datagrams) const {
  absl::StatusOr<net::Address> bound = net::LocalAddress(first.get());
  if (!bound.ok()) return bound.status();
  if (options_.hubs > HubCount(options_)) {
    spdlog::warn(
        "coroutine model: running {} hub(s) instead of {}: --max-workers {} caps the whole "
        "server, and each hub serves at least one connection",
        HubCount(options_), options_.hubs, options_.max_workers);
  }
  std::vector<base::UniqueFd> sockets;
  sockets.push_back(std::move(first));
  // A listener handed over by the agent must outlive this process, and sockets of our own in
  // its SO_REUSEPORT group would reset the connections queued on them when we exit: every hub
  // then polls and accepts on the one socket (a copy of its descriptor). Measured in
  // docs/design.md, decision 18.
  if (options_.shared_listener) {
    for (uint32_t i = 1; i < HubCount(options_); ++i) {
      base::UniqueFd copy(::fcntl(sockets.front().get(), F_DUPFD_CLOEXEC, 0));
      if (!copy) return base::SyscallError("dup the listener for a hub", errno);
      sockets.push_back(std::move(copy));
    }
    return sockets;
  }
  net::ListenOptions listen_options;
  listen_options.reuse_port = true;
  listen_options.check_port_free = false;  // joining our own group on the known port
  if (!datagrams) {  // and holding connections back as the first listener does
    absl::StatusOr<int> defer = net::DeferAcceptSeconds(sockets.front().get());
    if (!defer.ok()) return defer.status();
    listen_options.defer_accept_seconds = *defer;
  }
  for (uint32_t i = 1; i < HubCount(options_); ++i) {
    absl::StatusOr<base::UniqueFd> socket =
        datagrams ? net::BindUdp(*bound, /*reuse_port=*/true, /*check_port_free=*/false)
                  : net::ListenTcp(*bound, listen_options);
    if (!socket.ok()) return socket.status();
    if (datagrams && options_.receive_buffer_bytes > 0) {
      absl::StatusOr<uint32_t> set =
          net::SetReceiveBuffer(socket->get(), options_.receive_buffer_bytes);
      if (!set.ok()) return set.status();
    }
    sockets.push_back(*std::move(socket));
  }
  return sockets;
}

absl::Status CoroutineModel::ServeStreams(base::UniqueFd listener, int stop_fd,
                                          const protocols::StreamProtocol& protocol) {
  absl::StatusOr<std::vector<base::UniqueFd>> sockets = SocketsPerHub(std::move(listener), false);
  if (!sockets.ok()) return sockets.status();
  return RunHubs(
      *std::move(sockets), stop_fd, options_,
      [&protocol](HubServer& server, std::latch& started) {
        server.ServeStreams(protocol, started);
      },
      [&protocol] { protocol.BeginDrain(); });
}

absl::Status CoroutineModel::ServeDatagrams(base::UniqueFd socket, int stop_fd,
                                            const protocols::DatagramProtocol& protocol) {
  absl::StatusOr<std::vector<base::UniqueFd>> sockets = SocketsPerHub(std::move(socket), true);
  if (!sockets.ok()) return sockets.status();
  return RunHubs(
      *std::move(sockets), stop_fd, options_,
      [&protocol](HubServer& server, std::latch& started) {
        server.ServeDatagrams(protocol, started);
      },
      [] {});
}

}  // namespace corral::models
