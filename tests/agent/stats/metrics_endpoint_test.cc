#include "agent/metrics_endpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "base/unique_fd.h"
#include "servers/net/address.h"

namespace corral::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Sends `request` to `address` and reads until the server closes.
std::string Exchange(const std::string& address, const std::string& request) {
  absl::StatusOr<net::Address> parsed = net::Address::Parse(address);
  if (!parsed.ok()) return "";
  base::UniqueFd fd(::socket(parsed->family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (::connect(fd.get(), parsed->sockaddr_ptr(), parsed->length()) != 0) return "";
  if (::write(fd.get(), request.data(), request.size()) != ssize_t(request.size())) return "";
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd.get(), buffer, sizeof buffer)) > 0) response.append(buffer, size_t(n));
  return response;
}

TEST(MetricsEndpointTest, ServesTheRenderedTextOnGetMetrics) {
  std::atomic<int> calls = 0;
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start("127.0.0.1:0", [&calls] {
        ++calls;
        return std::string("# TYPE up gauge\nup 1\n");
      });
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  std::string response =
      Exchange((*endpoint)->address(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(response, HasSubstr("Content-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(response, HasSubstr("Content-Length: 21\r\n"));
  EXPECT_THAT(response, HasSubstr("Connection: close\r\n\r\n# TYPE up gauge\nup 1\n"));
  EXPECT_EQ(calls, 1);
}

TEST(MetricsEndpointTest, OtherPathsAndMethodsAreRefused) {
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start("127.0.0.1:0", [] { return std::string("up 1\n"); });
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_THAT(Exchange((*endpoint)->address(), "GET / HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 404 Not Found\r\n"));
  EXPECT_THAT(Exchange((*endpoint)->address(), "POST /metrics HTTP/1.1\r\n\r\n"),
              StartsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
}

TEST(MetricsEndpointTest, BadAddressIsAnInvalidArgument) {
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start("localhost:x", [] { return std::string(); });
  ASSERT_FALSE(endpoint.ok());
  EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(endpoint.status().message()), HasSubstr("listen for metrics on"));
}

}  // namespace
}  // namespace corral::agent
