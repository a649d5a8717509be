#include "agent/control_socket.h"

#include <fcntl.h>
#include <grpcpp/server.h>
#include <grpcpp/server_posix.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/syscall_error.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

// As deep as the kernel allows (net.core.somaxconn caps it): a burst of corralctl processes must
// queue, not be refused, while the acceptor identifies the ones before them.
constexpr int kBacklog = 4096;

}  // namespace

absl::StatusOr<std::unique_ptr<ControlSocket>> ControlSocket::Listen(const std::string& path,
                                                                     CallerAccess& access) {
  sockaddr_un address{};
  if (path.size() >= sizeof address.sun_path) {
    return absl::InvalidArgumentError(absl::StrCat("listen on unix:", path, ": the path has ",
                                                   path.size(), " bytes, at most ",
                                                   sizeof address.sun_path - 1, " fit"));
  }
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, sizeof address.sun_path - 1);
  base::UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener) return base::SyscallError("listen on unix:" + path + ": socket", errno);
  ::unlink(path.c_str());                  // stale from a crashed agent
  const mode_t old_umask = ::umask(0177);  // created 0600: never open, even for an instant
  const int bound =
      ::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
  const int bind_errno = errno;
  ::umask(old_umask);
  if (bound != 0) return base::SyscallError("listen on unix:" + path + ": bind", bind_errno);
  if (::listen(listener.get(), kBacklog) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    return base::SyscallError("listen on unix:" + path, err);
  }
  return std::unique_ptr<ControlSocket>(new ControlSocket(path, std::move(listener), access));
}

ControlSocket::ControlSocket(std::string path, base::UniqueFd listener, CallerAccess& access)
    : path_(std::move(path)),
      listener_(std::move(listener)),
      access_(access),
      spare_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

ControlSocket::~ControlSocket() {
  Close();
  ::unlink(path_.c_str());
}

absl::Status ControlSocket::Serve(grpc::Server* server) {
  acceptor_ = std::make_unique<LoopThread>();
  if (absl::Status created = acceptor_->loop().status(); !created.ok()) {
    acceptor_.reset();
    return absl::Status(created.code(),
                        absl::StrCat("serve unix:", path_, ": ", created.message()));
  }
  std::promise<absl::Status> watched;
  acceptor_->loop().RunInLoop([&] {
    watched.set_value(acceptor_->loop().Watch(listener_.get(), EPOLLIN,
                                              [this, server](uint32_t) { AcceptPending(server); }));
  });
  absl::Status status = watched.get_future().get();
  if (!status.ok()) {
    acceptor_.reset();
    return absl::Status(status.code(), absl::StrCat("serve unix:", path_, ": ", status.message()));
  }
  return absl::OkStatus();
}

void ControlSocket::Close() {
  // Joining the acceptor ends its loop, and with it the watch on the listener and the timers
  // that would have ended the strangers' connections: those end here.
  acceptor_.reset();
  for (int held : strangers_) {
    ::shutdown(held, SHUT_RDWR);
    ::close(held);
  }
  strangers_.clear();
}

void ControlSocket::AcceptPending(grpc::Server* server) {
  for (;;) {
    base::UniqueFd connection(
        ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!connection) {
      const int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK) return;
      if (err == EINTR || err == ECONNABORTED) continue;
      if (err == EMFILE || err == ENFILE) {
        if (!spare_) return PauseAccepting(server);
        // Take the connection with the spare descriptor and close it at once: the caller sees
        // its connection closed, and the listener is no longer ready for ever.
        spare_.Reset();
        base::UniqueFd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        spare_.Reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        spdlog::error("accept on unix:{}: out of descriptors; closed a connection", path_);
        continue;
      }
      spdlog::error("accept on unix:{}: {}", path_, base::ErrnoText(err));
      return PauseAccepting(server);
    }
    absl::StatusOr<Role> role = access_.Admit(connection.get());
    if (!role.ok()) {
      spdlog::error("unix:{}: {}; connection closed", path_, std::string(role.status().message()));
      continue;
    }
    if (*role == Role::kNone && !HoldStranger(connection.get())) continue;  // closed unanswered
    grpc::AddInsecureChannelFromFd(server, connection.Release());
  }
}

bool ControlSocket::HoldStranger(int fd) {
  if (strangers_.size() >= kMaxStrangers) return false;
  // A duplicate, not the number: gRPC may close its descriptor and the number be reused by an
  // admitted caller's connection before the grace ends; the duplicate names this socket only.
  const int held = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (held < 0) return false;
  strangers_.push_back(held);
  acceptor_->loop().RunAfter(kStrangerGrace, [this, held] {
    ::shutdown(held, SHUT_RDWR);
    ::close(held);
    strangers_.erase(std::find(strangers_.begin(), strangers_.end(), held));
  });
  return true;
}

void ControlSocket::PauseAccepting(grpc::Server* server) {
  constexpr std::chrono::milliseconds kPause{100};
  EventLoop& loop = acceptor_->loop();
  if (absl::Status unwatched = loop.Unwatch(listener_.get()); !unwatched.ok()) {
    spdlog::error("unix:{}: {}", path_, std::string(unwatched.message()));
    return;
  }
  loop.RunAfter(kPause, [this, server, &loop] {
    if (!spare_) spare_.Reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    absl::Status watched =
        loop.Watch(listener_.get(), EPOLLIN, [this, server](uint32_t) { AcceptPending(server); });
    if (!watched.ok()) spdlog::error("unix:{}: {}", path_, std::string(watched.message()));
  });
}

}  // namespace corral::agent
