#include "tests/servers/protocols/http/http_test_client.h"

#include <strings.h>

#include <cstdlib>

#include "servers/net/polling_stream.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string HttpReply::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return "";
}

bool HttpReply::HasHeader(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return true;
  }
  return false;
}

HttpTestClient::HttpTestClient(const std::string& address) : fd_(ConnectTcp(address)) {}

bool HttpTestClient::Send(std::string_view bytes) {
  net::PollingStream stream(fd_.get());
  return stream.WriteAll(bytes.data(), bytes.size(), net::DeadlineAfter(std::chrono::seconds(30)))
      .ok();
}

bool HttpTestClient::Fill(std::chrono::steady_clock::time_point deadline) {
  net::PollingStream stream(fd_.get());
  char chunk[64 * 1024];
  absl::StatusOr<size_t> n = stream.Read(chunk, sizeof chunk, deadline);
  if (!n.ok() || *n == 0) return false;
  buffer_.append(chunk, *n);
  return true;
}

std::optional<HttpReply> HttpTestClient::Read(bool head_request,
                                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!Fill(deadline)) return std::nullopt;
  }
  HttpReply reply;
  std::string_view head(buffer_.data(), head_end + 2);
  size_t line_end = head.find("\r\n");
  reply.status_line = std::string(head.substr(0, line_end));
  if (reply.status_line.size() < 12 || !reply.status_line.starts_with("HTTP/1.")) {
    return std::nullopt;
  }
  reply.status = std::atoi(reply.status_line.c_str() + 9);
  for (size_t at = line_end + 2; at < head.size();) {
    size_t end = head.find("\r\n", at);
    std::string_view line = head.substr(at, end - at);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    reply.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    at = end + 2;
  }
  buffer_.erase(0, head_end + 4);
  const bool bodiless =
      head_request || reply.status / 100 == 1 || reply.status == 204 || reply.status == 304;
  if (!bodiless) {
    if (!reply.HasHeader("Content-Length")) return std::nullopt;  // Corral always frames
    size_t length = std::strtoull(reply.Header("Content-Length").c_str(), nullptr, 10);
    while (buffer_.size() < length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
  }
  return reply;
}

bool HttpTestClient::ClosedByServer(std::chrono::milliseconds timeout) {
  if (!buffer_.empty()) return false;
  net::PollingStream stream(fd_.get());
  char c;
  absl::StatusOr<size_t> n = stream.Read(&c, 1, net::DeadlineAfter(timeout));
  if (n.ok()) return *n == 0;
  return absl::IsUnavailable(n.status());  // reset counts as closed
}

std::optional<HttpReply> FetchOnce(const std::string& address, const std::string& request) {
  HttpTestClient client(address);
  if (!client.connected() || !client.Send(request)) return std::nullopt;
  return client.Read(request.starts_with("HEAD "));
}

std::string Request(std::string_view method, std::string_view target, std::string_view extra) {
  std::string request;
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: test\r\n");
  request.append(extra).append("\r\n");
  return request;
}

}  // namespace corral::testing
