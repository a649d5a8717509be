#include "bench/load/tcp_echo_load.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "bench/load/echo_pattern.h"

namespace corral::load {
namespace {

struct Connection {
  int fd = -1;
  uint32_t id = 0;
  bool open = false;  // counted in open_
  bool connected = false;
  bool want_write = false;  // EPOLLOUT registered: the kernel buffer was full
  uint64_t sequence = 0;
  std::vector<uint8_t> sent;
  std::vector<uint8_t> received;
  size_t sent_offset = 0;
  size_t received_offset = 0;
  Clock::time_point started;
};

class TcpEchoLoop {
 public:
  TcpEchoLoop(const LoadOptions& options, LoadResult* result)
      : options_(options), result_(result) {}

  void Run(uint32_t first_id, int count) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      result_->connection_errors += count;
      return;
    }
    connections_.resize(count);
    result_->per_connection.assign(count, 0);
    for (int i = 0; i < count; ++i) Connect(connections_[i], first_id + i);
    Clock::time_point begin = Clock::now();
    measure_from_ = begin + std::chrono::duration_cast<Clock::duration>(options_.warmup);
    Clock::time_point end =
        measure_from_ + std::chrono::duration_cast<Clock::duration>(options_.duration);
    epoll_event events[256];
    Clock::time_point now = begin;
    while (now < end && open_ > 0) {
      int n = epoll_wait(epoll_, events, 256, 20);
      now = Clock::now();
      for (int i = 0; i < n; ++i) Handle(connections_[events[i].data.u32], events[i].events);
    }
    // Short (or 0) when every connection failed before the window ended.
    result_->seconds =
        std::max(0.0, std::chrono::duration<double>(std::min(now, end) - measure_from_).count());
    for (Connection& c : connections_) Close(c);
    close(epoll_);
  }

 private:
  void Connect(Connection& c, uint32_t id) {
    c.id = id;
    c.sent.resize(options_.size);
    c.received.resize(options_.size);
    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return Fail(c);
    int rc =
        connect(c.fd, reinterpret_cast<const sockaddr*>(&options_.target), sizeof options_.target);
    if (rc < 0 && errno != EINPROGRESS) return Fail(c);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;  // EPOLLOUT first reports the end of connect()
    ev.data.u32 = static_cast<uint32_t>(&c - connections_.data());
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev) < 0) return Fail(c);
    c.want_write = true;
    c.open = true;
    ++open_;
  }

  void Handle(Connection& c, uint32_t events) {
    if (c.fd < 0) return;
    if (!c.connected) {
      int error = 0;
      socklen_t len = sizeof error;
      getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len);
      if (error != 0) return Fail(c);
      c.connected = true;
      return StartMessage(c);
    }
    if ((events & (EPOLLERR | EPOLLHUP)) && !(events & EPOLLIN)) return Fail(c);
    if (events & EPOLLOUT) Send(c);
    if (c.fd >= 0 && (events & EPOLLIN)) Receive(c);
  }

  void StartMessage(Connection& c) {
    ++c.sequence;
    FillPattern(c.id, c.sequence, c.sent);
    c.sent_offset = 0;
    c.received_offset = 0;
    c.started = Clock::now();
    Send(c);
  }

  void Send(Connection& c) {
    while (c.sent_offset < c.sent.size()) {
      ssize_t n =
          send(c.fd, c.sent.data() + c.sent_offset, c.sent.size() - c.sent_offset, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return WantWrite(c, true);
      if (n <= 0) return Fail(c);
      c.sent_offset += static_cast<size_t>(n);
    }
    WantWrite(c, false);
  }

  void Receive(Connection& c) {
    while (c.fd >= 0) {
      size_t room = c.received.size() - c.received_offset;
      ssize_t n = read(c.fd, c.received.data() + c.received_offset, room);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) return Fail(c);  // EOF or reset with an echo outstanding
      c.received_offset += static_cast<size_t>(n);
      if (c.received_offset < c.received.size()) continue;
      // More echoed than sent so far means the server invented bytes.
      if (c.received_offset > c.sent_offset || !EchoMatches(c.sent, c.received)) {
        ++result_->wrong_echoes;
        return Close(c);  // the stream is out of step; nothing after this can be trusted
      }
      Clock::time_point now = Clock::now();
      if (now >= measure_from_) {
        ++result_->messages;
        ++result_->per_connection[&c - connections_.data()];
        result_->bytes += c.sent.size();
        result_->latency.Record(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.started).count());
      }
      StartMessage(c);
    }
  }

  void WantWrite(Connection& c, bool want) {
    if (c.fd < 0 || c.want_write == want) return;
    epoll_event ev{};
    ev.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(&c - connections_.data());
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_write = want;
  }

  void Fail(Connection& c) {
    ++result_->connection_errors;
    Close(c);
  }

  void Close(Connection& c) {
    if (c.fd < 0) return;
    close(c.fd);  // also removes it from the epoll set
    c.fd = -1;
    if (c.open) --open_;
    c.open = false;
  }

  const LoadOptions& options_;
  LoadResult* result_;
  int epoll_ = -1;
  int open_ = 0;
  Clock::time_point measure_from_;
  std::vector<Connection> connections_;
};

}  // namespace

LoadResult RunTcpEcho(const LoadOptions& options, uint32_t first_id, int count) {
  LoadResult result;
  TcpEchoLoop(options, &result).Run(first_id, count);
  return result;
}

}  // namespace corral::load
