#include "servers/models/coroutine_stream.h"

#include <sys/socket.h>

#include <cerrno>

#include "servers/coro/nothrow.h"
#include "servers/coro/socket_calls.h"
#include "servers/net/polling_stream.h"

namespace corral::models {
namespace {

// net::Deadline::max() means "never", as coro::Deadline's default does.
coro::Deadline ToCoro(net::Deadline deadline) {
  return deadline == net::Deadline::max() ? coro::Deadline::Never() : coro::Deadline(deadline);
}

}  // namespace

absl::StatusOr<size_t> CoroutineStream::DoRead(void* buf, size_t len, net::Deadline deadline) {
  return coro::nothrow::Call("read", fd_,
                             [&] { return coro::RecvStream(fd_, buf, len, ToCoro(deadline)); });
}

absl::Status CoroutineStream::DoWriteAllV(iovec* iov, int count, net::Deadline deadline) {
  return coro::nothrow::Call("write", fd_, [&] {
    return net::WriteAllVWith(fd_, iov, count, [this, deadline] {
      return coro::WaitWritableAfterEagain(fd_, ToCoro(deadline));
    });
  });
}

absl::Status CoroutineStream::DoSendFile(int file_fd, off_t offset, size_t count,
                                         net::Deadline deadline) {
  return coro::nothrow::Call("sendfile", fd_, [&] {
    return net::SendFileWith(fd_, file_fd, offset, count, [this, deadline] {
      return coro::WaitWritableAfterEagain(fd_, ToCoro(deadline));
    });
  });
}

absl::Status CoroutineDatagramSender::SendTo(const void* data, size_t size,
                                             const net::Address& peer, net::Deadline deadline) {
  absl::Status status = coro::nothrow::Call("sendto", fd_, [&] {
    return coro::SendTo(fd_, data, size, peer.sockaddr_ptr(), peer.length(), ToCoro(deadline))
        .status();
  });
  CountSent(status, size);
  return status;
}

}  // namespace corral::models
