#include "agent/health_check.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/accept_check.h"
#include "agent/http_probe.h"
#include "base/syscall_error.h"
#include "servers/net/address.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

// How often a tcp probe asks the kernel whether its connection was accepted. A healthy server
// accepts within microseconds, so the first answer usually is yes.
constexpr std::chrono::milliseconds kAcceptPoll{5};
constexpr size_t kMaxStatusLine = 256;

}  // namespace

HealthCheck::HealthCheck(EventLoop& loop, Options options, UnhealthyCallback on_unhealthy)
    : loop_(loop), options_(std::move(options)), on_unhealthy_(std::move(on_unhealthy)) {
  Schedule(options_.interval);
}

HealthCheck::~HealthCheck() {
  loop_.Cancel(next_);
  Close();
}

std::string HealthCheck::Name() const {
  return options_.mode.kind == spec::HealthMode::kHttp ? "http:" + options_.mode.path : "tcp";
}

void HealthCheck::Schedule(std::chrono::milliseconds delay) {
  next_ = loop_.RunAfter(delay, [this] {
    next_ = 0;
    Begin();
  });
}

void HealthCheck::Begin() {
  absl::StatusOr<net::Address> address = net::Address::Parse(options_.address);
  if (!address.ok()) return Finish(address.status());
  fd_.Reset(::socket(address->family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd_) return Finish(base::SyscallError("socket", errno));
  deadline_ = loop_.RunAfter(options_.timeout, [this] {
    deadline_ = 0;
    Finish(absl::DeadlineExceededError(
        absl::StrCat("timeout after ", options_.timeout.count(), " ms")));
  });
  if (::connect(fd_.get(), address->sockaddr_ptr(), address->length()) == 0) return OnConnected();
  if (errno != EINPROGRESS) {
    return Finish(base::SyscallError(absl::StrCat("connect ", options_.address), errno));
  }
  WatchFor(EPOLLOUT);
}

void HealthCheck::WatchFor(uint32_t events) {
  if (watched_) (void)loop_.Unwatch(fd_.get());
  watched_ = false;
  absl::Status s = loop_.Watch(fd_.get(), events, [this](uint32_t) {
    if (!connected_) return OnConnected();
    if (sent_ < request_.size()) return OnWritable();
    OnReadable();
  });
  if (!s.ok()) return Finish(s);
  watched_ = true;
}

void HealthCheck::OnConnected() {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) {
    return Finish(base::SyscallError(absl::StrCat("connect ", options_.address), error));
  }
  connected_ = true;
  if (options_.mode.kind == spec::HealthMode::kTcp) {
    if (watched_) (void)loop_.Unwatch(fd_.get());
    watched_ = false;
    return PollAccepted();
  }
  request_ = absl::StrCat("GET ", options_.mode.path, " HTTP/1.1\r\nHost: ", options_.address,
                          "\r\nUser-Agent: corral-agent health\r\nConnection: close\r\n\r\n");
  WatchFor(EPOLLOUT);
}

void HealthCheck::PollAccepted() {
  absl::StatusOr<bool> accepted = PeerAccepted(fd_.get());
  if (!accepted.ok()) return Finish(accepted.status());
  if (*accepted) return Finish(absl::OkStatus());
  poll_ = loop_.RunAfter(kAcceptPoll, [this] {
    poll_ = 0;
    PollAccepted();
  });
}

void HealthCheck::OnWritable() {
  ssize_t n = ::send(fd_.get(), request_.data() + sent_, request_.size() - sent_, MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EINTR) {
    return Finish(base::SyscallError("send the request", errno));
  }
  if (n > 0) sent_ += static_cast<size_t>(n);
  if (sent_ == request_.size()) WatchFor(EPOLLIN);
}

void HealthCheck::OnReadable() {
  char buf[kMaxStatusLine];
  ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n < 0) return Finish(base::SyscallError("read the answer", errno));
  if (n > 0) answer_.append(buf, static_cast<size_t>(n));
  const size_t end = answer_.find("\r\n");
  if (end == std::string::npos && n > 0 && answer_.size() < kMaxStatusLine) return;
  if (answer_.empty()) {
    return Finish(absl::UnavailableError("the connection was closed without an answer"));
  }
  const std::string line = answer_.substr(0, end);
  if (HttpProbe::IsSuccess(line)) return Finish(absl::OkStatus());
  Finish(absl::UnavailableError(absl::StrCat("answered \"", line, "\"")));
}

void HealthCheck::Close() {
  loop_.Cancel(deadline_);
  loop_.Cancel(poll_);
  deadline_ = poll_ = 0;
  if (watched_) (void)loop_.Unwatch(fd_.get());
  watched_ = false;
  fd_.Reset();
  connected_ = false;
  request_.clear();
  answer_.clear();
  sent_ = 0;
}

void HealthCheck::Finish(const absl::Status& result) {
  Close();
  if (result.ok()) {
    failed_in_a_row_ = 0;
    return Schedule(options_.interval);
  }
  ++failed_in_a_row_;
  spdlog::debug("health check {} of {}: {} ({} in a row)", Name(), options_.address,
                std::string(result.message()), failed_in_a_row_);
  if (failed_in_a_row_ < options_.failures) return Schedule(options_.interval);
  reported_ = true;
  std::string reason =
      absl::StrCat("health check ", Name(), " failed ", failed_in_a_row_,
                   failed_in_a_row_ == 1 ? " time: " : " times: ", std::string(result.message()));
  // From a task, not from inside this check's own callback: the callee may destroy the check.
  loop_.RunInLoop(
      [on_unhealthy = on_unhealthy_, reason = std::move(reason)] { on_unhealthy(reason); });
}

}  // namespace corral::agent
