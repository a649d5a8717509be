#include "servers/handler/host_streams.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "servers/handler/effective_deadline.h"
#include "servers/handler/handler_conn.h"
#include "servers/net/address.h"

namespace corral::handler {
namespace {

// What read_line asks the stream for at a time when its buffer has no line end: one read fills
// a typical line protocol's next few requests, so a pipelined client costs one syscall.
constexpr size_t kLineReadChunk = 4096;

// A reply that cannot be queued within a second means the host is overloaded; UDP may drop.
constexpr corral_deadline kReplyTimeoutNs = 1'000'000'000;

bool IsStream(const corral_conn* conn) { return conn != nullptr && conn->stream != nullptr; }

// The outcome of one stream read as a handler sees it: bytes, CLOSED for the peer's close, or
// the failure (a CANCELLED stays: every later call returns it without touching the socket).
corral_status Finish(corral_conn* conn, const absl::StatusOr<size_t>& n, size_t* got) {
  if (!n.ok()) {
    corral_status status = ToCorralStatus(n.status(), "read");
    if (status == CORRAL_CANCELLED) conn->cancelled = true;
    return status;
  }
  if (*n == 0) return CORRAL_CLOSED;
  *got = *n;
  return CORRAL_OK;
}

// Hands out up to `len` bytes already buffered by read_line; 0 when none are.
size_t TakePending(corral_conn* conn, void* buf, size_t len) {
  size_t n = std::min(len, conn->pending_size());
  if (n == 0) return 0;
  std::memcpy(buf, conn->pending.get() + conn->pending_begin, n);
  conn->pending_begin += n;
  return n;
}

corral_status Read(corral_conn* conn, void* buf, size_t len, corral_deadline deadline,
                   size_t* got) {
  if (got != nullptr) *got = 0;
  if (!IsStream(conn) || buf == nullptr || len == 0 || got == nullptr) return CORRAL_INVALID;
  if (conn->cancelled) return CORRAL_CANCELLED;
  if (size_t n = TakePending(conn, buf, len); n > 0) {
    *got = n;
    return CORRAL_OK;
  }
  return Finish(conn, conn->stream->Read(buf, len, EffectiveDeadline(deadline)), got);
}

corral_status ReadExactly(corral_conn* conn, void* buf, size_t len, corral_deadline deadline,
                          size_t* got) {
  if (got != nullptr) *got = 0;
  if (!IsStream(conn) || buf == nullptr || len == 0 || got == nullptr) return CORRAL_INVALID;
  char* out = static_cast<char*>(buf);
  size_t done = 0;
  while (done < len) {
    size_t n = 0;
    corral_status status = Read(conn, out + done, len - done, deadline, &n);
    if (status != CORRAL_OK) {
      *got = done;
      return status;
    }
    done += n;
  }
  *got = done;
  return CORRAL_OK;
}

// Reads more of the stream into the pending buffer (allocated and compacted here), so that it
// holds at least `room` more bytes than now.
corral_status FillPending(corral_conn* conn, size_t room, corral_deadline deadline) {
  size_t size = conn->pending_size();
  size_t capacity = std::max(size + room, kLineReadChunk);
  if (!conn->pending || conn->pending_capacity < capacity) {
    auto bigger = std::make_unique<char[]>(capacity);
    if (size > 0) std::memcpy(bigger.get(), conn->pending.get() + conn->pending_begin, size);
    conn->pending = std::move(bigger);
    conn->pending_capacity = capacity;
  } else if (conn->pending_begin > 0) {
    std::memmove(conn->pending.get(), conn->pending.get() + conn->pending_begin, size);
  }
  conn->pending_begin = 0;
  conn->pending_end = size;
  size_t got = 0;
  corral_status status =
      Finish(conn,
             conn->stream->Read(conn->pending.get() + size, conn->pending_capacity - size,
                                EffectiveDeadline(deadline)),
             &got);
  conn->pending_end += got;
  return status;
}

corral_status ReadLine(corral_conn* conn, char* buf, size_t cap, corral_deadline deadline,
                       size_t* got) {
  if (got != nullptr) *got = 0;
  if (!IsStream(conn) || buf == nullptr || cap == 0 || got == nullptr) return CORRAL_INVALID;
  if (conn->cancelled) return CORRAL_CANCELLED;
  size_t scanned = 0;  // bytes of pending known to hold no "\n"
  for (;;) {
    const char* begin = conn->pending ? conn->pending.get() + conn->pending_begin : nullptr;
    const size_t size = conn->pending_size();
    const char* end_of_line =
        size > scanned
            ? static_cast<const char*>(std::memchr(begin + scanned, '\n', size - scanned))
            : nullptr;
    if (end_of_line != nullptr) {
      size_t length = static_cast<size_t>(end_of_line - begin);
      conn->pending_begin += length + 1;
      if (conn->skipping_line) {  // the tail of a line already refused as too long
        conn->skipping_line = false;
        scanned = 0;
        continue;
      }
      if (length > 0 && begin[length - 1] == '\r') --length;
      if (length > cap) return CORRAL_TOO_LONG;
      std::memcpy(buf, begin, length);
      *got = length;
      return CORRAL_OK;
    }
    scanned = size;
    // cap bytes and a "\r" may still be followed by the "\n"; more can never make a line that fits.
    if (conn->skipping_line || size > cap + 1 || (size == cap + 1 && begin[cap] != '\r')) {
      conn->pending_begin = conn->pending_end = 0;
      scanned = 0;
      if (!conn->skipping_line) {
        conn->skipping_line = true;  // the rest of it goes at the next read_line
        return CORRAL_TOO_LONG;
      }
    }
    corral_status status = FillPending(conn, std::min(cap + 2, kLineReadChunk), deadline);
    if (status == CORRAL_CLOSED && conn->pending_size() > 0 && !conn->skipping_line) {
      // A last line ended by the close instead of "\n": returned whole; CLOSED comes next.
      size_t length = conn->pending_size();
      if (length > cap) {
        conn->pending_begin = conn->pending_end = 0;
        return CORRAL_TOO_LONG;
      }
      std::memcpy(buf, conn->pending.get() + conn->pending_begin, length);
      conn->pending_begin = conn->pending_end = 0;
      *got = length;
      return CORRAL_OK;
    }
    if (status != CORRAL_OK) {
      if (status == CORRAL_CLOSED) conn->skipping_line = false;
      return status;
    }
  }
}

corral_status Write(corral_conn* conn, const void* buf, size_t len, corral_deadline deadline) {
  if (!IsStream(conn) || (buf == nullptr && len > 0)) return CORRAL_INVALID;
  if (conn->cancelled) return CORRAL_CANCELLED;
  if (len == 0) return CORRAL_OK;
  corral_status status =
      ToCorralStatus(conn->stream->WriteAll(buf, len, EffectiveDeadline(deadline)), "write");
  if (status == CORRAL_CANCELLED) conn->cancelled = true;
  return status;
}

}  // namespace

size_t PeerOf(corral_conn* conn, char* buf, size_t cap) {
  if (conn == nullptr || buf == nullptr || cap == 0) return 0;
  std::string text;
  if (conn->datagram != nullptr) {
    text = conn->datagram->peer.ToString();
  } else if (conn->stream != nullptr) {
    sockaddr_storage storage{};
    socklen_t len = sizeof storage;
    sockaddr* sa = reinterpret_cast<sockaddr*>(&storage);
    if (::getpeername(conn->stream->fd(), sa, &len) == 0) {
      text = net::Address::FromSockaddr(sa, len).ToString();
    }
  }
  size_t n = std::min(text.size(), cap - 1);
  std::memcpy(buf, text.data(), n);
  buf[n] = '\0';
  return n;
}

namespace {

corral_status Reply(corral_conn* request, const void* buf, size_t len) {
  if (request == nullptr || request->datagram == nullptr || request->sender == nullptr ||
      (buf == nullptr && len > 0)) {
    return CORRAL_INVALID;
  }
  return ToCorralStatus(request->sender->SendTo(buf, len, request->datagram->peer,
                                                EffectiveDeadline(NowNs() + kReplyTimeoutNs)),
                        "reply");
}

int OthersWaiting(corral_conn* conn) {
  if (!IsStream(conn) || conn->cancelled) return 0;
  return conn->stream->YieldToWaitingClient() ? 1 : 0;
}

}  // namespace

void FillStreams(corral_host* host) {
  host->read = Read;
  host->read_exactly = ReadExactly;
  host->read_line = ReadLine;
  host->write = Write;
  host->peer = PeerOf;
  host->reply = Reply;
  host->others_waiting = OthersWaiting;
}

}  // namespace corral::handler
