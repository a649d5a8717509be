#include "bench/load/http_load.h"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <vector>

#include "bench/load/http_response_parser.h"
#include "bench/load/open_loop_schedule.h"

namespace corral::load {
namespace {

// One load connection. Under Connection: close (asked for, or a server's choice) the slot
// reconnects and stays the same slot: its answers are counted together.
struct Slot {
  int fd = -1;
  bool connecting = false;
  bool want_write = false;
  bool dead = false;  // failed: no more requests
  std::string out;    // request bytes not yet written
  size_t out_offset = 0;
  HttpResponseParser parser;
  // Requests written or queued and not answered yet, oldest first, each with the time its
  // latency counts from: when it was sent (closed loop) or due (open loop).
  std::deque<Clock::time_point> outstanding;
  uint64_t answers_here = 0;  // answers on the current connection
  uint64_t next_k = 0;        // open loop: the next request of the schedule
  Clock::time_point next_due;
};

class HttpLoadLoop {
 public:
  HttpLoadLoop(const LoadOptions& options, LoadResult* result, uint32_t first_id)
      : options_(options),
        result_(result),
        first_id_(first_id),
        request_(HttpRequest(options)),
        open_loop_(options.rate > 0),
        schedule_(options.start, options.rate, options.connections) {}  // Run() sets the start

  void Run(int count) {
    result_->per_connection.assign(count, 0);
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) {
      result_->connection_errors += count;
      return;
    }
    Clock::time_point start = options_.start == Clock::time_point{} ? Clock::now() : options_.start;
    schedule_ = OpenLoopSchedule(start, options_.rate, options_.connections);
    measure_from_ = start + std::chrono::duration_cast<Clock::duration>(options_.warmup);
    end_ = measure_from_ + std::chrono::duration_cast<Clock::duration>(options_.duration);
    result_->per_second.assign(static_cast<size_t>(std::ceil(options_.duration.count())), 0);
    result_->window_start_unix =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch() -
                                      (Clock::now() - measure_from_))
            .count();
    slots_.resize(count);
    for (int i = 0; i < count; ++i) {
      slots_[i].next_due = schedule_.Due(static_cast<int>(first_id_) + i, 0);
      Connect(i);
    }
    Clock::time_point now = Clock::now();
    while (now < end_ && live_ > 0) {
      if (open_loop_) EnqueueDue(now);
      Wait(open_loop_ ? std::min(NextDue(), now + kTick) : now + kTick);
      now = Clock::now();
    }
    result_->seconds =
        std::max(0.0, std::chrono::duration<double>(std::min(now, end_) - measure_from_).count());
    // The last wait may end past end_ (a busy machine): requests that fell due before it are
    // still sent, late, so the schedule never depends on how this process was scheduled.
    if (open_loop_ && live_ > 0) EnqueueDue(now);
    if (open_loop_) Drain();
    for (size_t i = 0; i < slots_.size(); ++i) Close(slots_[i]);
    close(epoll_);
  }

 private:
  static constexpr std::chrono::milliseconds kTick{20};

  // Open loop: queues every request whose time has come, whatever is still unanswered.
  void EnqueueDue(Clock::time_point now) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      Slot& s = slots_[i];
      while (!s.dead && s.next_due <= now && s.next_due < end_) {
        Enqueue(i, s.next_due);
        s.next_due = schedule_.Due(static_cast<int>(first_id_ + i), ++s.next_k);
      }
    }
  }

  Clock::time_point NextDue() const {
    Clock::time_point next = end_;
    for (const Slot& s : slots_) {
      if (!s.dead) next = std::min(next, s.next_due);
    }
    return next;
  }

  // Open loop: no new requests; waits up to options.drain for those the window scheduled, then
  // records each still unanswered at its latency so far, so a stall at the end is not dropped.
  void Drain() {
    Clock::time_point until =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(options_.drain);
    Clock::time_point now = Clock::now();
    while (now < until && Waiting()) {
      Wait(std::min(until, now + kTick));
      now = Clock::now();
    }
    for (Slot& s : slots_) {
      for (Clock::time_point due : s.outstanding) {
        if (!Measured(due)) continue;
        ++result_->unanswered;
        result_->latency.Record(Nanos(now - due));
      }
    }
  }

  bool Waiting() const {
    for (const Slot& s : slots_) {
      for (Clock::time_point due : s.outstanding) {
        if (Measured(due)) return true;
      }
    }
    return false;
  }

  bool Measured(Clock::time_point due) const { return due >= measure_from_ && due < end_; }

  static uint64_t Nanos(Clock::duration d) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }

  void Wait(Clock::time_point until) {
    int64_t ns = static_cast<int64_t>(Nanos(std::max(until - Clock::now(), Clock::duration{})));
    timespec timeout{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    epoll_event events[256];
    int n = epoll_pwait2(epoll_, events, 256, &timeout, nullptr);
    for (int i = 0; i < n; ++i) Handle(events[i].data.u32, events[i].events);
  }

  void Connect(size_t i) {
    Slot& s = slots_[i];
    s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s.fd < 0) return Fail(s);
    ++live_;
    int rc =
        connect(s.fd, reinterpret_cast<const sockaddr*>(&options_.target), sizeof options_.target);
    if (rc < 0 && errno != EINPROGRESS) return Fail(s);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;  // EPOLLOUT first reports the end of connect()
    ev.data.u32 = static_cast<uint32_t>(i);
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd, &ev) < 0) return Fail(s);
    s.connecting = true;
    s.want_write = true;
    s.answers_here = 0;
    // Closed loop: a new connection starts with a request; open loop: with what is queued.
    if (!open_loop_ && s.outstanding.empty()) Enqueue(i, Clock::now());
  }

  void Enqueue(size_t i, Clock::time_point counts_from) {
    Slot& s = slots_[i];
    s.outstanding.push_back(counts_from);
    s.out += request_;
    if (open_loop_ && Measured(counts_from)) ++result_->scheduled;
    if (!s.connecting) Flush(s);
  }

  void Handle(size_t i, uint32_t events) {
    Slot& s = slots_[i];
    if (s.fd < 0) return;
    if (s.connecting) {
      int error = 0;
      socklen_t len = sizeof error;
      getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &error, &len);
      if (error != 0) return Fail(s);
      s.connecting = false;
    }
    if (events & EPOLLOUT) Flush(s);
    if (s.fd >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) Receive(i);
  }

  void Flush(Slot& s) {
    while (s.out_offset < s.out.size()) {
      ssize_t n =
          send(s.fd, s.out.data() + s.out_offset, s.out.size() - s.out_offset, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return WantWrite(s, true);
      // A server that closed first: the read side tells whether that was polite.
      if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return WantWrite(s, false);
      if (n <= 0) return Fail(s);
      s.out_offset += static_cast<size_t>(n);
    }
    s.out.clear();
    s.out_offset = 0;
    WantWrite(s, false);
  }

  void Receive(size_t i) {
    Slot& s = slots_[i];
    char buffer[65536];
    // Every path that closes or replaces the connection returns: a new socket may reuse the
    // descriptor number.
    for (;;) {
      ssize_t n = read(s.fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n <= 0) return Ended(i);
      s.parser.Feed(std::string_view(buffer, static_cast<size_t>(n)));
      for (;;) {
        HttpResponseParser::Result r = s.parser.Next();
        if (r == HttpResponseParser::Result::kNeedMore) break;
        if (r == HttpResponseParser::Result::kMalformed || s.outstanding.empty()) {
          ++result_->bad_responses;  // unframeable, or an answer nobody asked for
          return Fail(s);
        }
        if (!Answered(i)) return;  // the slot moved to a new connection
      }
    }
  }

  // One response taken off slot i's stream; false when the connection was replaced.
  bool Answered(size_t i) {
    Slot& s = slots_[i];
    const HttpResponseHead& head = s.parser.head();
    Clock::time_point from = s.outstanding.front();
    s.outstanding.pop_front();
    ++s.answers_here;
    Clock::time_point now = Clock::now();
    if (head.status != options_.expect_status ||
        (options_.expect_length >= 0 &&
         head.body_length != static_cast<size_t>(options_.expect_length))) {
      ++result_->bad_responses;
    } else if (open_loop_ ? Measured(from) : now >= measure_from_) {
      ++result_->messages;
      result_->bytes += head.body_length;
      ++result_->per_connection[i];
      CountInSecond(now);
      result_->latency.Record(Nanos(now - from));
    }
    if (head.close || options_.close) {
      Reconnect(i);
      return false;
    }
    if (!open_loop_ && now < end_) Enqueue(i, now);
    return true;
  }

  // An answer that arrived at `now`, in its second of the window. A closed loop counts the
  // answers its last wait returned past the end in the last second; an open loop's drain may
  // add seconds after the window.
  void CountInSecond(Clock::time_point now) {
    auto second = static_cast<size_t>(
        std::max(0.0, std::chrono::duration<double>(now - measure_from_).count()));
    std::vector<uint64_t>& counts = result_->per_second;
    if (second >= counts.size()) {
      if (open_loop_ || counts.empty()) {
        counts.resize(second + 1);
      } else {
        second = counts.size() - 1;
      }
    }
    ++counts[second];
  }

  // The server ended the connection (EOF or reset). Between answers that is a server closing
  // an idle keep-alive connection, which it may: unanswered requests are sent again on a new
  // connection, as a browser does. In the middle of an answer, or before the first, it is not.
  void Ended(size_t i) {
    Slot& s = slots_[i];
    if (s.outstanding.empty() || (s.answers_here > 0 && s.parser.buffered() == 0)) {
      result_->retries += s.outstanding.size();
      return Reconnect(i);
    }
    Fail(s);
  }

  // A new connection for slot i, carrying its unanswered requests (open loop).
  void Reconnect(size_t i) {
    Slot& s = slots_[i];
    Close(s);
    s.parser.Reset();
    s.out.clear();
    s.out_offset = 0;
    for (size_t k = 0; k < s.outstanding.size(); ++k) s.out += request_;
    if (Clock::now() < end_ || !s.outstanding.empty()) Connect(i);
  }

  void WantWrite(Slot& s, bool want) {
    if (s.fd < 0 || s.want_write == want) return;
    epoll_event ev{};
    ev.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(&s - slots_.data());
    epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &ev);
    s.want_write = want;
  }

  void Fail(Slot& s) {
    ++result_->connection_errors;
    Close(s);
    s.dead = true;
    s.outstanding.clear();
  }

  void Close(Slot& s) {
    if (s.fd < 0) return;
    close(s.fd);  // also removes it from the epoll set
    s.fd = -1;
    s.connecting = false;
    s.want_write = false;
    --live_;
  }

  const LoadOptions& options_;
  LoadResult* result_;
  uint32_t first_id_;
  const std::string request_;
  const bool open_loop_;
  OpenLoopSchedule schedule_;
  int epoll_ = -1;
  int live_ = 0;  // slots with a socket
  Clock::time_point measure_from_;
  Clock::time_point end_;
  std::vector<Slot> slots_;
};

}  // namespace

std::string HttpRequest(const LoadOptions& options) {
  char host[64];
  const auto* a = reinterpret_cast<const uint8_t*>(&options.target.sin_addr.s_addr);
  std::snprintf(host, sizeof host, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3],
                ntohs(options.target.sin_port));
  return "GET " + options.path + " HTTP/1.1\r\nHost: " + host + "\r\n" +
         (options.close ? "Connection: close\r\n" : "") + "\r\n";
}

LoadResult RunHttp(const LoadOptions& options, uint32_t first_id, int count) {
  LoadResult result;
  HttpLoadLoop(options, &result, first_id).Run(count);
  return result;
}

}  // namespace corral::load
