#include "tests/servers/handler/route_server.h"

#include <fcntl.h>
#include <sys/socket.h>

#include "servers/net/address.h"
#include "servers/net/polling_stream.h"
#include "servers/net/socket.h"
#include "servers/stats/slot_writer.h"

namespace corral::testing {

RouteServer::~RouteServer() {
  if (!thread_.joinable()) return;
  ::shutdown(listener_.get(), SHUT_RDWR);  // ends the wait in accept
  thread_.join();
}

uint64_t RouteServer::protocol_errors() const {
  return slot_.counters.errors[static_cast<int>(stats::ErrorKind::kProtocol)].load();
}

absl::Status RouteServer::Start(const std::string& root,
                                std::shared_ptr<const http::RouteTable> routes) {
  http::HttpOptions options;
  options.root = root;
  options.idle_timeout = std::chrono::seconds(10);
  options.routes = std::move(routes);
  absl::StatusOr<std::unique_ptr<http::HttpProtocol>> protocol =
      http::HttpProtocol::Create(std::move(options));
  if (!protocol.ok()) return protocol.status();
  protocol_ = *std::move(protocol);
  absl::StatusOr<net::Address> any = net::Address::Parse("127.0.0.1:0");
  if (!any.ok()) return any.status();
  absl::StatusOr<base::UniqueFd> listener = net::ListenTcp(*any);
  if (!listener.ok()) return listener.status();
  listener_ = *std::move(listener);
  // Blocking, so the thread waits in accept until the destructor's shutdown.
  if (::fcntl(listener_.get(), F_SETFL, 0) != 0) return absl::InternalError("fcntl listener");
  absl::StatusOr<net::Address> bound = net::LocalAddress(listener_.get());
  if (!bound.ok()) return bound.status();
  address_ = bound->ToString();
  thread_ = std::thread([this] {
    stats::SlotWriter writer(&slot_, 0);
    for (;;) {
      const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      net::PollingStream stream{base::UniqueFd(fd)};
      stream.set_accounting(&writer);
      protocol_->Serve(stream);
    }
  });
  return absl::OkStatus();
}

}  // namespace corral::testing
