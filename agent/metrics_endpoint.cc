#include "agent/metrics_endpoint.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "servers/net/address.h"
#include "servers/net/socket.h"
#include "servers/net/syscall_error.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

constexpr int kRequestTimeoutMs = 5000;
constexpr size_t kMaxRequestBytes = 8192;

// Waits for `fd` to be readable or writable (`events`) until `deadline_ms` runs out.
bool WaitFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

void SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN && WaitFor(fd, POLLOUT, kRequestTimeoutMs)) {
      continue;
    } else {
      return;  // the scraper went away or stalled: nothing to tell it
    }
  }
}

std::string Response(const std::string& status, const std::string& content_type,
                     const std::string& body) {
  return absl::StrCat("HTTP/1.1 ", status, "\r\nContent-Type: ", content_type,
                      "\r\nContent-Length: ", body.size(), "\r\nConnection: close\r\n\r\n", body);
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    const std::string& host_port, Render render) {
  absl::StatusOr<net::Address> address = net::Address::Parse(host_port);
  if (!address.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen for metrics on ", host_port, ": ", address.status().message()));
  }
  absl::StatusOr<net::UniqueFd> listener = net::ListenTcp(*address, {.backlog = 64});
  if (!listener.ok()) {
    return absl::Status(listener.status().code(), absl::StrCat("listen for metrics on ", host_port,
                                                               ": ", listener.status().message()));
  }
  absl::StatusOr<net::Address> bound = net::LocalAddress(listener->get());
  if (!bound.ok()) return bound.status();
  net::UniqueFd wakeup(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wakeup) return net::SyscallError("eventfd", errno);
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(
      *std::move(listener), std::move(wakeup), bound->ToString(), std::move(render)));
}

MetricsEndpoint::MetricsEndpoint(net::UniqueFd listener, net::UniqueFd wakeup, std::string address,
                                 Render render)
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
  while (true) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wakeup_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("metrics endpoint: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    net::UniqueFd client(
        ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!client) {
      // EMFILE and friends: wait a little instead of spinning on a listener that stays readable.
      if (net::ClassifyAcceptErrno(errno) != net::AcceptError::kRetry) ::usleep(100'000);
      continue;
    }
    Answer(client.get());
  }
}

void MetricsEndpoint::Answer(int fd) {
  std::string request;
  char buffer[2048];
  while (!absl::StrContains(request, "\r\n\r\n") && request.size() < kMaxRequestBytes) {
    if (!WaitFor(fd, POLLIN, kRequestTimeoutMs)) return;
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;
    request.append(buffer, static_cast<size_t>(n));
  }
  std::string line = request.substr(0, request.find("\r\n"));
  if (!absl::StartsWith(line, "GET ")) {
    return SendAll(fd, Response("405 Method Not Allowed", "text/plain", "only GET /metrics\n"));
  }
  std::string path = line.substr(4, line.find(' ', 4) - 4);
  if (path != "/metrics") {
    return SendAll(fd, Response("404 Not Found", "text/plain", "try /metrics\n"));
  }
  SendAll(fd, Response("200 OK", "text/plain; version=0.0.4; charset=utf-8", render_()));
}

}  // namespace corral::agent
