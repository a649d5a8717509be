#include "agent/dashboard/dashboard_server.h"

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "agent/dashboard/dashboard_feed.h"
#include "agent/dashboard/dashboard_routes.h"
#include "agent/dashboard/http_message.h"
#include "base/syscall_error.h"
#include "servers/net/address.h"
#include "servers/net/socket.h"
#include "spdlog/spdlog.h"

namespace corral::agent::dashboard {
namespace {

// After accept fails for want of descriptors: how long to leave the listener alone.
constexpr int kAcceptBackoffMs = 100;

bool IsLoopback(const net::Address& address) {
  if (address.family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address.sockaddr_ptr());
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (address.family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address.sockaddr_ptr());
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
  }
  return false;
}

// Chart.js as installed, or empty (the page then says charts are unavailable).
std::string ReadChartJs(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    spdlog::warn("dashboard: no Chart.js at {} (install libjs-chart.js): charts are unavailable",
                 path);
    return "";
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<DashboardServer>> DashboardServer::Start(DashboardOptions options) {
  absl::StatusOr<net::Address> address = net::Address::Parse(options.listen);
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("listen for the dashboard on ", options.listen,
                                                   ": ", address.status().message()));
  }
  if (!options.tokens && !IsLoopback(*address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen for the dashboard on ", options.listen,
        ": not a loopback address, and there is no --token-file: anyone who can reach it could "
        "watch every server (give --token-file, or listen on 127.0.0.1)"));
  }
  if (options.tokens && !options.tls && !IsLoopback(*address)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "listen for the dashboard on ", options.listen,
        ": not a loopback address, and no --tls-cert: tokens and session cookies would cross "
        "the network in the clear (give --tls-cert and --tls-key, or listen on 127.0.0.1)"));
  }
  absl::StatusOr<base::UniqueFd> listener = net::ListenTcp(*address, {.backlog = 64});
  if (!listener.ok()) {
    return absl::Status(listener.status().code(),
                        absl::StrCat("listen for the dashboard on ", options.listen, ": ",
                                     listener.status().message()));
  }
  absl::StatusOr<net::Address> bound = net::LocalAddress(listener->get());
  if (!bound.ok()) return bound.status();
  base::UniqueFd wakeup(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wakeup) return base::SyscallError("eventfd", errno);
  return std::unique_ptr<DashboardServer>(new DashboardServer(
      std::move(options), *std::move(listener), std::move(wakeup), bound->ToString()));
}

DashboardServer::DashboardServer(DashboardOptions options, base::UniqueFd listener,
                                 base::UniqueFd wakeup, std::string address)
    : options_(std::move(options)),
      listener_(std::move(listener)),
      wakeup_(std::move(wakeup)),
      address_(std::move(address)),
      feed_(std::make_unique<DashboardFeed>(options_.socket_path)),
      routes_(std::make_unique<DashboardRoutes>(*feed_, options_.tokens, address_,
                                                options_.tls != nullptr,
                                                ReadChartJs(options_.chartjs_path))) {
  accept_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "dash-accept");  // for top -H and /proc/PID/task
    AcceptLoop();
  });
}

DashboardServer::~DashboardServer() {
  uint64_t one = 1;
  (void)!::write(wakeup_.get(), &one, sizeof one);
  accept_thread_.join();
  feed_->Stop();  // wakes every event stream waiting for news
  std::list<Connection> connections;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    routes_->Stop();
    for (Connection& c : connections_) {
      if (c.stream != nullptr) c.stream->Shutdown();  // wakes its blocked read or write
    }
    connections.splice(connections.end(), connections_);
  }
  for (Connection& c : connections) c.thread.join();
}

void DashboardServer::Publish(const std::vector<v1::Server>& servers,
                              const v1::StatsReport& report) {
  feed_->Publish(servers, report);
}

void DashboardServer::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{wakeup_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("dashboard: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[0].revents != 0) return;
    base::UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client) {
      if (net::ClassifyAcceptErrno(errno) != net::AcceptError::kRetry) {
        ::poll(nullptr, 0, kAcceptBackoffMs);  // out of descriptors: let some close first
      }
      continue;
    }
    Admit(std::move(client));
  }
}

void DashboardServer::Admit(base::UniqueFd fd) {
  std::list<Connection> finished;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = connections_.begin(); it != connections_.end();) {
      auto next = std::next(it);
      if (it->done) finished.splice(finished.end(), connections_, it);
      it = next;
    }
    if (connections_.size() < kMaxConnections) {
      Connection& c = connections_.emplace_back();
      c.thread =
          std::thread([this, &c, owned = std::move(fd)]() mutable { Serve(&c, std::move(owned)); });
    }
  }
  if (fd) {
    // Answered at once, without a thread: the client learns why rather than hanging.
    std::string busy = HttpResponse("503 Service Unavailable", "text/plain",
                                    "the dashboard has too many connections; try again\n");
    (void)!::send(fd.get(), busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  for (Connection& c : finished) c.thread.join();  // done already: returns at once
}

void DashboardServer::Serve(Connection* connection, base::UniqueFd fd) {
  pthread_setname_np(pthread_self(), "dash-client");
  // The handshake is bounded by kIoTimeout, so the destructor need not interrupt it.
  absl::StatusOr<std::unique_ptr<ClientStream>> stream =
      ClientStream::Accept(std::move(fd), options_.tls.get(), kIoTimeout);
  if (!stream.ok()) {
    spdlog::debug("dashboard: {}", std::string(stream.status().message()));
  } else {
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      stopping = stopping_;
      if (!stopping) connection->stream = stream->get();
    }
    if (!stopping) routes_->Serve(**stream);
  }
  absl::MutexLock lock(&mu_);
  connection->stream = nullptr;
  connection->done = true;
}

}  // namespace corral::agent::dashboard
