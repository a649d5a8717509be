// corral/handler.hpp: the C++ layer over the C boundary of corral/handler.h, header-only, so a
// plugin builds with nothing but these headers (C++17 or later):
//
//   c++ -shared -fPIC -I<sdk>/include my_handler.cc -o my_handler.so
//
// A handler is a class with a name, an optional list of the handler-args it accepts, and a
// Serve for the protocol it is run with; CORRAL_HANDLER(Class) exports it:
//
//   struct Echo {
//     static constexpr const char* kName = "echo";
//     // Optional: the --handler-arg keys accepted (any other fails the start), null-terminated.
//     static constexpr const char* kArgNames[] = {"greeting", nullptr};
//     // Optional, one of: a constructor from Args, a default constructor, or
//     //   static std::unique_ptr<Echo> Create(const corral::Args&, std::string& error)
//     // (null with `error` set fails the start with that reason).
//     explicit Echo(const corral::Args& args);
//     void Serve(corral::Stream& stream);        // protocol tcp: one connection
//     void Serve(corral::Datagram& datagram);    // protocol udp: one datagram
//   };
//   CORRAL_HANDLER(Echo)
//
// One object is made per server process, before any worker starts, and its Serve is called
// from every worker at once (threads, greenlets, or forked copies of the process), so anything
// it shares between calls must be guarded (cooperative.hpp's Mutex works under every model).
// Serve must not let an exception out (it crosses C); one that does is logged, counted as an
// error and ends the connection.
//
// Every call blocks in the style of the model (a thread's, or parks a greenlet) and reports its
// outcome as a corral_status (Ok() when CORRAL_OK), never an exception. A CANCELLED is sticky:
// the server is cutting this worker, and the handler should return.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "corral/handler.h"

namespace corral {

namespace internal {
// Set by the plugin's init, before any Serve; read-only afterwards.
inline const corral_host* host = nullptr;
}  // namespace internal

// The host's function table, valid from init on: what cooperative.hpp and http.hpp call
// through. Null before init.
inline const corral_host* Host() { return internal::host; }

// The current time: nanoseconds on CLOCK_MONOTONIC, as handler.h's deadlines count.
inline corral_deadline Now() { return Host()->now(); }

// An absolute deadline (handler.h's corral_deadline). A type of its own, so that a deadline is
// never taken for a length or a length for a deadline: Write(buf, n) and Write("text", deadline)
// each mean what they say.
class Deadline {
 public:
  constexpr explicit Deadline(corral_deadline ns) : ns_(ns) {}
  constexpr corral_deadline ns() const { return ns_; }

 private:
  corral_deadline ns_;
};
inline constexpr Deadline kNoDeadline{CORRAL_NO_DEADLINE};
// The deadline `timeout` from now.
inline Deadline After(std::chrono::nanoseconds timeout) {
  return Deadline(Now() + timeout.count());
}

// "ok", "closed", "timeout", ...: for log lines.
inline const char* StatusName(corral_status status) {
  switch (status) {
    case CORRAL_OK:
      return "ok";
    case CORRAL_CLOSED:
      return "closed";
    case CORRAL_TIMEOUT:
      return "timeout";
    case CORRAL_CANCELLED:
      return "cancelled";
    case CORRAL_BROKEN:
      return "broken";
    case CORRAL_TOO_LONG:
      return "too long";
    case CORRAL_INVALID:
      return "invalid";
    case CORRAL_QUEUE_CLOSED:
      return "queue closed";
    case CORRAL_ERROR:
      return "error";
  }
  return "unknown";
}

// The outcome of a read: its status and how many bytes arrived (some may have, even when the
// status is not OK: read_exactly's CLOSED).
struct IoResult {
  corral_status status = CORRAL_ERROR;
  size_t size = 0;
  bool Ok() const { return status == CORRAL_OK; }
};

// Lines to the server's log (`corralctl logs NAME`), prefixed with the handler's name.
inline void LogInfo(const std::string& message) {
  Host()->log(nullptr, CORRAL_LOG_INFO, message.c_str());
}
inline void LogWarning(const std::string& message) {
  Host()->log(nullptr, CORRAL_LOG_WARNING, message.c_str());
}
inline void LogError(const std::string& message) {
  Host()->log(nullptr, CORRAL_LOG_ERROR, message.c_str());
}

// The spec's handler-args (`--handler-arg KEY=VALUE`), only those the handler declared.
// Valid during construction (copy what you keep).
class Args {
 public:
  Args(const corral_arg* args, size_t count) : args_(args), count_(count) {}
  std::optional<std::string_view> Get(std::string_view key) const {
    for (size_t i = 0; i < count_; ++i) {
      if (key == args_[i].key) return std::string_view(args_[i].value);
    }
    return std::nullopt;
  }
  std::string_view Get(std::string_view key, std::string_view fallback) const {
    return Get(key).value_or(fallback);
  }
  size_t size() const { return count_; }

 private:
  const corral_arg* args_;
  size_t count_;
};

// What the handlers of both kinds share: the peer, logging and the counters.
class Conn {
 public:
  explicit Conn(corral_conn* conn) : conn_(conn) {}
  // The peer's address, "127.0.0.1:5000" or "[::1]:5000".
  std::string Peer() const {
    char buf[64];
    size_t n = Host()->peer(conn_, buf, sizeof buf);
    return std::string(buf, n);
  }
  // A log line with the peer's address added.
  void Log(int level, const std::string& message) const {
    Host()->log(conn_, level, message.c_str());
  }
  // Counts one error of the handler's own (shown as protocol errors in stats).
  void CountError() const { Host()->count_error(conn_); }
  corral_conn* c_conn() const { return conn_; }

 protected:
  corral_conn* conn_;
};

// One TCP connection (protocol tcp). Used by the Serve it was given to, on its worker only.
class Stream : public Conn {
 public:
  using Conn::Conn;

  // Reads 1..len bytes. CLOSED when the peer closed and nothing is buffered.
  IoResult Read(void* buf, size_t len, Deadline deadline = kNoDeadline) {
    IoResult r;
    r.status = Host()->read(conn_, buf, len, deadline.ns(), &r.size);
    return r;
  }
  // Reads exactly len bytes; CLOSED when the peer closed first (size says how many came).
  IoResult ReadExactly(void* buf, size_t len, Deadline deadline = kNoDeadline) {
    IoResult r;
    r.status = Host()->read_exactly(conn_, buf, len, deadline.ns(), &r.size);
    return r;
  }
  // Reads one line without its "\n" (or "\r\n") into buf. TOO_LONG when none came within cap
  // bytes (the rest of that line is skipped); a last line ended by the close is OK, then CLOSED.
  IoResult ReadLine(char* buf, size_t cap, Deadline deadline = kNoDeadline) {
    IoResult r;
    r.status = Host()->read_line(conn_, buf, cap, deadline.ns(), &r.size);
    return r;
  }
  // As above into `line` (replaced), for lines of at most `cap` bytes.
  corral_status ReadLine(std::string& line, size_t cap = 8192, Deadline deadline = kNoDeadline) {
    line.resize(cap);
    IoResult r = ReadLine(line.data(), cap, deadline);
    line.resize(r.Ok() ? r.size : 0);
    return r.status;
  }
  // True when clients wait for a worker this idle session holds, and this worker will serve
  // one of them once Serve returns: say goodbye and return (handler.h, others_waiting). Always
  // false on a host older than the entry.
  bool OthersWaiting() const {
    const corral_host* host = Host();
    if (host->struct_size < offsetof(corral_host, others_waiting) + sizeof host->others_waiting ||
        host->others_waiting == nullptr) {
      return false;
    }
    return host->others_waiting(conn_) != 0;
  }
  // Writes all of `data`, or fails.
  corral_status Write(std::string_view data, Deadline deadline = kNoDeadline) {
    return Host()->write(conn_, data.data(), data.size(), deadline.ns());
  }
  corral_status Write(const void* data, size_t len, Deadline deadline = kNoDeadline) {
    return Host()->write(conn_, data, len, deadline.ns());
  }
  // Counts one request served on this connection, with its latency. The first call turns off
  // the host's own count of one request per connection.
  void CountRequest(std::chrono::nanoseconds latency) {
    Host()->count_request(conn_, static_cast<int64_t>(latency.count()));
  }
};

// One received datagram (protocol udp). Valid during the Serve it was given to.
class Datagram : public Conn {
 public:
  Datagram(corral_conn* conn, const void* data, size_t size)
      : Conn(conn), data_(static_cast<const char*>(data), size) {}
  std::string_view data() const { return data_; }
  // Sends one datagram back to the sender.
  corral_status Reply(std::string_view data) {
    return Host()->reply(conn_, data.data(), data.size());
  }

 private:
  std::string_view data_;
};

}  // namespace corral

// The machinery behind CORRAL_HANDLER(Class), which exports `Class` as the plugin's one handler.
#include "corral/handler_entry.hpp"
