// Helpers shared by the corral::coro tests: a fresh thread (hence a fresh hub) per test, and
// loopback sockets.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <exception>
#include <functional>
#include <thread>
#include <utility>

#include "gtest/gtest.h"

namespace corral::coro::testing {

// Runs `body` on a new thread and waits for it. Each test thereby gets its own hub, and the
// hub's teardown (killing what is left) runs at the end of every test. An exception escaping
// `body` fails the test.
inline void InFreshThread(std::function<void()> body) {
  std::thread t([&] {
    try {
      body();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "exception escaped the test body: " << e.what();
    } catch (...) {
      ADD_FAILURE() << "non-standard exception escaped the test body";
    }
  });
  t.join();
}

// A scoped descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    Reset(std::exchange(o.fd_, -1));
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

inline sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

inline uint16_t PortOf(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// A non-blocking TCP listener on 127.0.0.1, port chosen by the kernel.
inline Fd Listen(int backlog = 1024) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  const sockaddr_in a = Loopback(0);
  EXPECT_EQ(bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(listen(fd.get(), backlog), 0);
  return fd;
}

inline Fd TcpSocket() { return Fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)); }

// A non-blocking UDP socket bound to 127.0.0.1, kernel-chosen port.
inline Fd UdpSocket() {
  Fd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  const sockaddr_in a = Loopback(0);
  EXPECT_EQ(bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  return fd;
}

// A connected non-blocking AF_UNIX stream pair.
inline std::pair<Fd, Fd> SocketPair() {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  return {Fd(sv[0]), Fd(sv[1])};
}

}  // namespace corral::coro::testing
