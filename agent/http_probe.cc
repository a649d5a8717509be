#include "agent/http_probe.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/unique_fd.h"
#include "servers/net/address.h"

namespace corral::agent {
namespace {

constexpr int kSliceMs = 100;
// One attempt waits this long for an answer before it is abandoned and asked again.
constexpr int kAttemptMs = 2000;
constexpr size_t kMaxStatusLine = 256;

}  // namespace

HttpProbe::HttpProbe(std::string address, std::string path,
                     std::function<void(std::string)> on_ready)
    : address_(std::move(address)),
      path_(std::move(path)),
      on_ready_(std::move(on_ready)),
      thread_([this] { Run(); }) {}

HttpProbe::~HttpProbe() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  wake_.SignalAll();
  thread_.join();
}

bool HttpProbe::IsSuccess(std::string_view line) {
  absl::string_view rest(line.data(), line.size());
  if (!absl::StartsWith(rest, "HTTP/")) return false;
  const size_t space = rest.find(' ');
  return space != absl::string_view::npos && space + 1 < rest.size() && rest[space + 1] == '2';
}

bool HttpProbe::Stopped() {
  absl::MutexLock lock(&mu_);
  return stop_;
}

void HttpProbe::Run() {
  while (!Stopped()) {
    std::string line = Attempt();
    if (IsSuccess(line)) {
      if (!Stopped()) on_ready_(line);
      return;
    }
    absl::MutexLock lock(&mu_);
    if (!stop_) wake_.WaitWithTimeout(&mu_, absl::Milliseconds(kSliceMs));
  }
}

std::string HttpProbe::Attempt() {
  absl::StatusOr<net::Address> address = net::Address::Parse(address_);
  if (!address.ok()) return "";
  base::UniqueFd fd(::socket(address->family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return "";
  if (::connect(fd.get(), address->sockaddr_ptr(), address->length()) != 0 &&
      errno != EINPROGRESS) {
    return "";
  }
  const std::string request =
      absl::StrCat("GET ", path_, " HTTP/1.1\r\nHost: ", address_,
                   "\r\nUser-Agent: corral-agent\r\nConnection: close\r\n\r\n");
  size_t sent = 0;
  std::string answer;
  for (int waited = 0; waited < kAttemptMs && !Stopped(); waited += kSliceMs) {
    pollfd pfd{fd.get(), static_cast<short>(sent < request.size() ? POLLOUT : POLLIN), 0};
    if (::poll(&pfd, 1, kSliceMs) <= 0) continue;
    if (sent < request.size()) {
      ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return "";
      if (n > 0) sent += static_cast<size_t>(n);
      continue;
    }
    char buf[kMaxStatusLine];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
    if (size_t end = answer.find("\r\n"); end != std::string::npos) return answer.substr(0, end);
    if (answer.size() >= kMaxStatusLine) break;
  }
  return answer.substr(0, answer.find("\r\n"));
}

}  // namespace corral::agent
