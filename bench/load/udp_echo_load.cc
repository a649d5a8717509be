#include "bench/load/udp_echo_load.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "bench/load/echo_pattern.h"

namespace corral::load {
namespace {

// Replies this many sequences back are recognised as late (answered after their timeout).
constexpr uint64_t kLateWindow = 64;

struct Socket {
  int fd = -1;
  uint32_t id = 0;
  uint64_t sequence = 0;
  bool unsent = false;  // the last send hit a full buffer; retried on the next wake
  std::vector<uint8_t> sent;
  Clock::time_point started;
  Clock::time_point deadline;
};

class UdpEchoLoop {
 public:
  UdpEchoLoop(const LoadOptions& options, LoadResult* result)
      : options_(options), result_(result), buffer_(65536) {}

  void Run(uint32_t first_id, int count) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      result_->connection_errors += count;
      return;
    }
    sockets_.resize(count);
    result_->per_connection.assign(count, 0);
    Clock::time_point begin = Clock::now();
    measure_from_ = begin + std::chrono::duration_cast<Clock::duration>(options_.warmup);
    Clock::time_point end =
        measure_from_ + std::chrono::duration_cast<Clock::duration>(options_.duration);
    for (int i = 0; i < count; ++i) Open(sockets_[i], first_id + i);
    epoll_event events[256];
    Clock::time_point now = begin;
    while (now < end && open_ > 0) {
      int n = epoll_wait(epoll_, events, 256, 5);
      now = Clock::now();
      for (int i = 0; i < n; ++i) Receive(sockets_[events[i].data.u32]);
      for (Socket& s : sockets_) {
        if (s.fd < 0) continue;
        if (s.unsent) {
          Send(s);
        } else if (now >= s.deadline) {
          if (s.deadline >= measure_from_) ++result_->losses;
          StartDatagram(s);
        }
      }
    }
    // Short (or 0) when every connection failed before the window ended.
    result_->seconds =
        std::max(0.0, std::chrono::duration<double>(std::min(now, end) - measure_from_).count());
    for (Socket& s : sockets_) Close(s);
    close(epoll_);
  }

 private:
  void Open(Socket& s, uint32_t id) {
    s.id = id;
    s.sent.resize(options_.size);
    s.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) {
      ++result_->connection_errors;
      return;
    }
    ++open_;  // from here Close() balances it
    // connect() so only the server's replies arrive, and a refused port shows as ECONNREFUSED.
    if (connect(s.fd, reinterpret_cast<const sockaddr*>(&options_.target), sizeof options_.target) <
        0) {
      return Fail(s);
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(&s - sockets_.data());
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev) < 0) return Fail(s);
    StartDatagram(s);
  }

  void StartDatagram(Socket& s) {
    ++s.sequence;
    FillPattern(s.id, s.sequence, s.sent);
    Send(s);
  }

  void Send(Socket& s) {
    s.started = Clock::now();
    s.deadline = s.started + options_.udp_timeout;
    ssize_t n = send(s.fd, s.sent.data(), s.sent.size(), 0);
    s.unsent = n < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR);
    if (n < 0 && !s.unsent) return Fail(s);
  }

  void Receive(Socket& s) {
    while (s.fd >= 0) {
      ssize_t n = recv(s.fd, buffer_.data(), buffer_.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n < 0) return Fail(s);  // ECONNREFUSED: nobody listens
      std::span<const uint8_t> echo(buffer_.data(), static_cast<size_t>(n));
      if (!s.unsent && EchoMatches(s.sent, echo)) {
        // Read the clock here: an earlier reply in this wake may have started s's datagram
        // after the wake's timestamp.
        Clock::time_point now = Clock::now();
        if (now >= measure_from_) {
          ++result_->messages;
          ++result_->per_connection[&s - sockets_.data()];
          result_->bytes += s.sent.size();
          result_->latency.Record(
              std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.started).count());
        }
        StartDatagram(s);
      } else if (IsLate(s, echo)) {
        ++result_->late_replies;
      } else {
        ++result_->wrong_echoes;
      }
    }
  }

  // True when `echo` is the intact reply to one of the datagrams sent before the current one.
  bool IsLate(const Socket& s, std::span<const uint8_t> echo) const {
    if (echo.size() != s.sent.size()) return false;
    for (uint64_t back = 1; back <= kLateWindow && back < s.sequence; ++back) {
      if (MatchesPattern(s.id, s.sequence - back, echo)) return true;
    }
    return false;
  }

  void Fail(Socket& s) {
    ++result_->connection_errors;
    Close(s);
  }

  void Close(Socket& s) {
    if (s.fd < 0) return;
    close(s.fd);
    s.fd = -1;
    --open_;
  }

  const LoadOptions& options_;
  LoadResult* result_;
  std::vector<uint8_t> buffer_;
  int epoll_ = -1;
  int open_ = 0;
  Clock::time_point measure_from_;
  std::vector<Socket> sockets_;
};

}  // namespace

LoadResult RunUdpEcho(const LoadOptions& options, uint32_t first_id, int count) {
  LoadResult result;
  UdpEchoLoop(options, &result).Run(first_id, count);
  return result;
}

}  // namespace corral::load
