// NotifySocket: the one NOTIFY_SOCKET the agent serves for every server (sd_notify(3)): a unix
// datagram socket in the abstract namespace, named after the agent's home, so that a server
// running as another user can reach it (HOME is 0700) and an adopted server still reaches the
// next agent on the same home. Anyone on the host may send to it: each datagram's sender pid
// comes from the kernel (SCM_CREDENTIALS), and the supervisor acts on a message only when that
// pid belongs to the server it claims (SECURITY.md). Loop thread only.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace corral::agent {

class NotifySocket {
 public:
  struct Datagram {
    pid_t sender = 0;  // from SCM_CREDENTIALS
    std::string bytes;
  };

  // Binds the socket for `home` (non-blocking, close-on-exec). Errors name the socket.
  static absl::StatusOr<NotifySocket> Open(const std::string& home);

  int fd() const { return fd_.get(); }
  // The value of NOTIFY_SOCKET for the servers: "@corral-notify-<hash of home>".
  const std::string& address() const { return address_; }

  // The next queued datagram; nullopt once none is left. A datagram without credentials or
  // longer than kMaxNotifyBytes is dropped (returned with sender 0).
  std::optional<Datagram> Receive();

 private:
  NotifySocket(base::UniqueFd fd, std::string address)
      : fd_(std::move(fd)), address_(std::move(address)) {}

  base::UniqueFd fd_;
  std::string address_;
};

}  // namespace corral::agent
