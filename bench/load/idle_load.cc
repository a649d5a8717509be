#include "bench/load/idle_load.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "bench/load/echo_pattern.h"

namespace corral::load {
namespace {

// Generous: 10,000 connects queue behind the server's accept loop on a loaded machine.
constexpr std::chrono::seconds kPhaseTimeout{60};

struct IdleConnection {
  int fd = -1;
  bool done = false;  // this phase's step finished (connected, or echo verified)
  std::vector<uint8_t> sent;
  std::vector<uint8_t> received;
  size_t received_offset = 0;
};

class IdleLoop {
 public:
  IdleLoop(const LoadOptions& options, LoadResult* result) : options_(options), result_(result) {}

  void Run(int count) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    connections_.resize(count);
    for (int i = 0; i < count; ++i) Connect(i);
    Wait([this](IdleConnection& c, uint32_t) { Connected(c); });
    EchoRound(1);
    std::printf("ready %d\n", Open());
    std::fflush(stdout);
    Hold();
    EchoRound(2);
    result_->messages = static_cast<uint64_t>(Open());
    result_->seconds = options_.idle_hold.count();
    for (IdleConnection& c : connections_) Close(c);
    close(epoll_);
  }

 private:
  void Connect(int i) {
    IdleConnection& c = connections_[i];
    c.sent.resize(options_.size);
    c.received.resize(options_.size);
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return Fail(c);
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&options_.target), sizeof options_.target) <
            0 &&
        errno != EINPROGRESS) {
      return Fail(c);
    }
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.u32 = static_cast<uint32_t>(i);
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) < 0) return Fail(c);
  }

  void Connected(IdleConnection& c) {
    int error = 0;
    socklen_t len = sizeof error;
    getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) return Fail(c);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u32 = static_cast<uint32_t>(&c - connections_.data());
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
    c.done = true;
  }

  // One verified echo on every open connection.
  void EchoRound(uint64_t sequence) {
    for (IdleConnection& c : connections_) {
      if (c.fd < 0) continue;
      c.done = false;
      c.received_offset = 0;
      FillPattern(static_cast<uint32_t>(&c - connections_.data()), sequence, c.sent);
      // A fresh socket buffer always takes a small message whole.
      if (send(c.fd, c.sent.data(), c.sent.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(c.sent.size())) {
        Fail(c);
      }
    }
    Wait([this](IdleConnection& c, uint32_t) { Receive(c); });
  }

  void Receive(IdleConnection& c) {
    ssize_t n =
        read(c.fd, c.received.data() + c.received_offset, c.received.size() - c.received_offset);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) return Fail(c);
    c.received_offset += static_cast<size_t>(n);
    if (c.received_offset < c.received.size()) return;
    if (!EchoMatches(c.sent, c.received)) {
      ++result_->wrong_echoes;
      return Close(c);
    }
    c.done = true;
  }

  // Silence expected: any readiness now means the server closed or sent unasked bytes.
  void Hold() {
    Clock::time_point end =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(options_.idle_hold);
    epoll_event events[256];
    while (Clock::now() < end) {
      int n = epoll_wait(epoll_, events, 256, 50);
      for (int i = 0; i < n; ++i) Fail(connections_[events[i].data.u32]);
    }
  }

  // Dispatches events until every open connection is done or the phase times out; the ones
  // still not done then are failures.
  template <typename OnEvent>
  void Wait(OnEvent on_event) {
    Clock::time_point end = Clock::now() + kPhaseTimeout;
    epoll_event events[256];
    while (Pending() > 0 && Clock::now() < end) {
      int n = epoll_wait(epoll_, events, 256, 50);
      for (int i = 0; i < n; ++i) {
        IdleConnection& c = connections_[events[i].data.u32];
        if (c.fd >= 0 && !c.done) on_event(c, events[i].events);
      }
    }
    for (IdleConnection& c : connections_) {
      if (c.fd >= 0 && !c.done) Fail(c);
    }
  }

  int Pending() const {
    int n = 0;
    for (const IdleConnection& c : connections_) n += c.fd >= 0 && !c.done;
    return n;
  }

  int Open() const {
    int n = 0;
    for (const IdleConnection& c : connections_) n += c.fd >= 0;
    return n;
  }

  void Fail(IdleConnection& c) {
    ++result_->connection_errors;
    Close(c);
  }

  void Close(IdleConnection& c) {
    if (c.fd >= 0) close(c.fd);
    c.fd = -1;
  }

  const LoadOptions& options_;
  LoadResult* result_;
  int epoll_ = -1;
  std::vector<IdleConnection> connections_;
};

}  // namespace

LoadResult RunIdle(const LoadOptions& options, int count) {
  LoadResult result;
  IdleLoop(options, &result).Run(count);
  return result;
}

}  // namespace corral::load
