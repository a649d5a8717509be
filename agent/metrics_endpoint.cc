#include "agent/metrics_endpoint.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/deadline.h"
#include "base/syscall_error.h"
#include "servers/net/address.h"
#include "servers/net/socket.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

using base::Clock;

constexpr size_t kMaxRequestBytes = 8192;
// After accept fails for want of descriptors: how long to leave the listener alone, instead of
// spinning on a listener that stays readable.
constexpr std::chrono::milliseconds kAcceptBackoff{100};

std::string Response(const std::string& status, const std::string& content_type,
                     const std::string& body) {
  return absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

struct MetricsEndpoint::Connection {
  base::UniqueFd fd;
  Clock::time_point deadline;  // closed then, whatever it is doing
  std::string request;
  std::string response;  // empty while the request is still coming
  size_t sent = 0;
};

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& host_port, Render render) {
  absl::StatusOr<net::Address> address = net::Address::Parse(host_port);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen for metrics on ", host_port, ": ", address.status().message()));
  }
  absl::StatusOr<base::UniqueFd> listener = net::ListenTcp(*address, {.backlog = 64});
  if (!listener.ok()) {
    return absl::Status(listener.status().code(), absl::StrCat("listen for metrics on ", host_port,
                                                               ": ", listener.status().message()));
  }
  absl::StatusOr<net::Address> bound = net::LocalAddress(listener->get());
  if (!bound.ok()) return bound.status();
  base::UniqueFd wakeup(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wakeup) return base::SyscallError("eventfd", errno);
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(
      *std::move(listener), std::move(wakeup), bound->ToString(), std::move(render)));
}

MetricsEndpoint::MetricsEndpoint(base::UniqueFd listener, base::UniqueFd wakeup,
                                 std::string address, Render render)
    : listener_(std::move(listener)),
      wakeup_(std::move(wakeup)),
      address_(std::move(address)),
      render_(std::move(render)),
      thread_([this] { Serve(); }) {}

MetricsEndpoint::~MetricsEndpoint() {
  uint64_t one = 1;
  (void)!::write(wakeup_.get(), &one, sizeof one);
  thread_.join();
}

void MetricsEndpoint::Serve() {
  std::vector<Connection> connections;  // oldest first
  Clock::time_point accept_after = Clock::time_point::min();
  std::vector<pollfd> fds;
  while (true) {
    Clock::time_point now = Clock::now();
    std::erase_if(connections, [now](const Connection& c) { return c.deadline <= now; });
    Clock::time_point wake = accept_after > now ? accept_after : Clock::time_point::max();
    fds.clear();
    fds.push_back({wakeup_.get(), POLLIN, 0});
    fds.push_back({listener_.get(), static_cast<short>(accept_after > now ? 0 : POLLIN), 0});
    for (const Connection& c : connections) {
      fds.push_back({c.fd.get(), static_cast<short>(c.response.empty() ? POLLIN : POLLOUT), 0});
      wake = std::min(wake, c.deadline);
    }
    if (::poll(fds.data(), fds.size(), base::PollTimeoutMs(wake)) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("metrics endpoint: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[0].revents != 0) return;
    // fds[2 + i] is connections[i]: progress them all before accepting changes the list.
    std::vector<bool> done(connections.size(), false);
    for (size_t i = 0; i < connections.size(); ++i) {
      if (fds[2 + i].revents != 0) done[i] = !Progress(connections[i]);
    }
    for (size_t i = connections.size(); i-- > 0;) {
      if (done[i]) connections.erase(connections.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if ((fds[1].revents & POLLIN) == 0) continue;
    base::UniqueFd client(
        ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!client) {
      if (net::ClassifyAcceptErrno(errno) != net::AcceptError::kRetry) {
        accept_after = Clock::now() + kAcceptBackoff;
      }
      continue;
    }
    if (connections.size() >= kMaxConnections) connections.erase(connections.begin());
    connections.push_back({std::move(client), Clock::now() + kConnectionDeadline});
  }
}

bool MetricsEndpoint::Progress(Connection& c) {
  if (c.response.empty()) {
    char buffer[2048];
    ssize_t n = ::recv(c.fd.get(), buffer, sizeof buffer, 0);
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) return false;  // gone before asking anything
    c.request.append(buffer, static_cast<size_t>(n));
    if (!absl::StrContains(c.request, "\r\n\r\n") && c.request.size() < kMaxRequestBytes) {
      return true;
    }
    c.response = Answer(c.request);
  }
  // Right away: a scraper's socket buffer takes most answers whole.
  ssize_t n =
      ::send(c.fd.get(), c.response.data() + c.sent, c.response.size() - c.sent, MSG_NOSIGNAL);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  c.sent += static_cast<size_t>(n);
  return c.sent < c.response.size();
}

std::string MetricsEndpoint::Answer(const std::string& request) {
  std::string line = request.substr(0, request.find("\r\n"));
  if (!absl::StartsWith(line, "GET ")) {
    return Response("405 Method Not Allowed", "text/plain", "only GET /metrics\n");
  }
  std::string path = line.substr(4, line.find(' ', 4) - 4);
  if (path != "/metrics") return Response("404 Not Found", "text/plain", "try /metrics\n");
  return Response("200 OK", "text/plain; version=0.0.4; charset=utf-8", render_());
}

}  // namespace corral::agent
