#include "ctl/rpc/http2_connection.h"

#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ctl/rpc/fd_wait.h"
#include "servers/net/syscall_error.h"

namespace corral::ctl::rpc {

namespace {

// Generous windows: a log tail or a stats report of many workers arrives without waiting for
// WINDOW_UPDATEs.
constexpr int32_t kWindowBytes = 16 << 20;

}  // namespace

// nghttp2's callbacks, which reach the connection through the session's user data.
struct Http2Callbacks {
  static Http2Connection& Of(void* user_data) { return *static_cast<Http2Connection*>(user_data); }

  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_length, const uint8_t* value, size_t value_length, uint8_t,
                      void* user_data) {
    Http2Connection& c = Of(user_data);
    if (frame->hd.stream_id == c.stream_id_) {
      c.response_.headers.emplace_back(
          std::string(reinterpret_cast<const char*>(name), name_length),
          std::string(reinterpret_cast<const char*>(value), value_length));
    }
    return 0;
  }

  static int OnData(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                    size_t length, void* user_data) {
    Http2Connection& c = Of(user_data);
    if (stream_id == c.stream_id_) {
      c.response_.data.append(reinterpret_cast<const char*>(data), length);
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user_data) {
    Http2Connection& c = Of(user_data);
    if (stream_id == c.stream_id_) {
      c.response_.closed = true;
      c.response_.reset_code = error_code;
    }
    return 0;
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* user_data) {
    Http2Connection& c = Of(user_data);
    const size_t n = std::min(length, c.body_.size() - c.body_sent_);
    std::memcpy(buffer, c.body_.data() + c.body_sent_, n);
    c.body_sent_ += n;
    if (c.body_sent_ == c.body_.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

Http2Connection::Http2Connection(AgentSocket socket) : socket_(std::move(socket)) {}

Http2Connection::~Http2Connection() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

absl::StatusOr<std::unique_ptr<Http2Connection>> Http2Connection::Open(const std::string& target,
                                                                       absl::Time deadline) {
  absl::StatusOr<AgentSocket> socket = ConnectToAgent(target, deadline);
  if (!socket.ok()) return socket.status();
  std::unique_ptr<Http2Connection> c(new Http2Connection(*std::move(socket)));

  nghttp2_session_callbacks* callbacks;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) {
    return absl::ResourceExhaustedError("HTTP/2 session: out of memory");
  }
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Http2Callbacks::OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Http2Callbacks::OnData);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Http2Callbacks::OnStreamClose);
  const int rc = nghttp2_session_client_new(&c->session_, callbacks, c.get());
  nghttp2_session_callbacks_del(callbacks);
  if (rc != 0) return absl::ResourceExhaustedError("HTTP/2 session: out of memory");

  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                             {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kWindowBytes}};
  nghttp2_submit_settings(c->session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(c->session_, NGHTTP2_FLAG_NONE, 0, kWindowBytes);
  return c;
}

absl::Status Http2Connection::Submit(std::string_view path, const Headers& headers,
                                     std::string body) {
  if (broken_) return absl::UnavailableError("the connection to the agent is broken");
  auto nv = [](std::string_view name, std::string_view value) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                      value.size(), NGHTTP2_NV_FLAG_NONE};
  };
  std::vector<nghttp2_nv> fields = {nv(":method", "POST"), nv(":scheme", "http"), nv(":path", path),
                                    nv(":authority", socket_.authority)};
  for (const auto& [name, value] : headers) fields.push_back(nv(name, value));

  body_ = std::move(body);
  body_sent_ = 0;
  response_ = Response();
  nghttp2_data_provider provider{};
  provider.read_callback = &Http2Callbacks::ReadBody;
  const int32_t id =
      nghttp2_submit_request(session_, nullptr, fields.data(), fields.size(), &provider, nullptr);
  if (id < 0) {
    return absl::InternalError(absl::StrCat("HTTP/2 request: ", nghttp2_strerror(id)));
  }
  stream_id_ = id;
  return absl::OkStatus();
}

absl::Status Http2Connection::Flush(absl::Time deadline) {
  for (;;) {
    const uint8_t* data;
    const ssize_t length = nghttp2_session_mem_send(session_, &data);
    if (length < 0) {
      return Broken(absl::InternalError(absl::StrCat("HTTP/2: ", nghttp2_strerror(length))));
    }
    if (length == 0) return absl::OkStatus();
    for (ssize_t sent = 0; sent < length;) {
      const ssize_t n = ::send(socket_.fd.get(), data + sent, length - sent, MSG_NOSIGNAL);
      if (n >= 0) {
        sent += n;
        continue;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        return Broken(
            absl::UnavailableError(absl::StrCat("send to the agent: ", net::ErrnoText(errno))));
      }
      absl::StatusOr<bool> writable = WaitForFd(socket_.fd.get(), POLLOUT, deadline);
      if (!writable.ok()) return Broken(writable.status());
      if (!*writable) {
        // Part of a frame is out: the connection cannot carry another request.
        return Broken(absl::DeadlineExceededError("the agent did not take the request in time"));
      }
    }
  }
}

absl::Status Http2Connection::Pump(absl::Time deadline) {
  if (broken_) return absl::UnavailableError("the connection to the agent is broken");
  if (absl::Status sent = Flush(deadline); !sent.ok()) return sent;
  if (response_.closed) return absl::OkStatus();
  absl::StatusOr<bool> readable = WaitForFd(socket_.fd.get(), POLLIN, deadline);
  if (!readable.ok()) return Broken(readable.status());
  if (!*readable) return absl::DeadlineExceededError("deadline exceeded");

  uint8_t buffer[64 * 1024];
  const ssize_t n = ::recv(socket_.fd.get(), buffer, sizeof buffer, 0);
  if (n == 0) return Broken(absl::UnavailableError("the agent closed the connection"));
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return absl::OkStatus();
    return Broken(
        absl::UnavailableError(absl::StrCat("receive from the agent: ", net::ErrnoText(errno))));
  }
  const ssize_t taken = nghttp2_session_mem_recv(session_, buffer, static_cast<size_t>(n));
  if (taken < 0) {
    return Broken(absl::InternalError(
        absl::StrCat("HTTP/2 from the agent: ", nghttp2_strerror(static_cast<int>(taken)))));
  }
  // Acknowledgements and window updates go out now, not with the next request.
  if (absl::Status sent = Flush(deadline); !sent.ok()) return sent;
  if (!response_.closed && nghttp2_session_want_read(session_) == 0 &&
      nghttp2_session_want_write(session_) == 0) {
    return Broken(absl::UnavailableError("the agent ended the connection (GOAWAY)"));
  }
  return absl::OkStatus();
}

void Http2Connection::Cancel() {
  if (broken_ || stream_id_ < 0 || response_.closed) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id_, NGHTTP2_CANCEL);
  response_.closed = true;
  response_.reset_code = NGHTTP2_CANCEL;
  (void)Flush(absl::Now() + absl::Milliseconds(100));
}

absl::Status Http2Connection::Broken(absl::Status status) {
  broken_ = true;
  return status;
}

}  // namespace corral::ctl::rpc
