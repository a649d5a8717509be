// HttpProtocol itself, over a socketpair served by a PollingStream in a thread: construction,
// the derived header timeout, the route interface and the stats provider.
#include "servers/protocols/http/http_protocol.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "servers/net/polling_stream.h"

namespace corral::http {
namespace {

class HttpProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "corral_http_protocol_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    std::ofstream(root_ + "/a.txt") << "file a";
  }
  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + root_ + "'").c_str()), 0); }

  HttpOptions Options() const {
    HttpOptions options;
    options.root = root_;
    options.idle_timeout = std::chrono::seconds(5);
    return options;
  }

  // Serves one connection whose client writes `request` and half-closes; returns all bytes
  // the server wrote before closing.
  static std::string Exchange(const HttpProtocol& protocol, const std::string& request) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    std::thread server([&] {
      net::PollingStream stream{base::UniqueFd(fds[1])};
      protocol.Serve(stream);
    });
    net::PollingStream client{base::UniqueFd(fds[0])};
    EXPECT_TRUE(
        client
            .WriteAll(request.data(), request.size(), net::DeadlineAfter(std::chrono::seconds(10)))
            .ok());
    ::shutdown(fds[0], SHUT_WR);
    std::string out;
    char buf[4096];
    for (;;) {
      absl::StatusOr<size_t> n =
          client.Read(buf, sizeof buf, net::DeadlineAfter(std::chrono::seconds(10)));
      if (!n.ok() || *n == 0) break;
      out.append(buf, *n);
    }
    server.join();
    return out;
  }

  // Serves one connection whose client writes `request` without half-closing and reads the
  // response up to EOF, then writes once more: true if the server still took the bytes
  // (it lingers, reading until the client closes), false if it had closed the socket.
  static bool ServerLingers(const HttpProtocol& protocol, const std::string& request,
                            std::string* response) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    std::thread server([&] {
      net::PollingStream stream{base::UniqueFd(fds[1])};
      protocol.Serve(stream);
    });
    base::UniqueFd client(fds[0]);
    EXPECT_EQ(::fcntl(client.get(), F_SETFL, 0), 0);  // blocking
    EXPECT_EQ(::send(client.get(), request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    char buf[4096];
    for (ssize_t n; (n = ::recv(client.get(), buf, sizeof buf, 0)) > 0;) response->append(buf, n);
    // EOF came either from the lingering shutdown(SHUT_WR), the server still reading for up
    // to a second, or from the close itself.
    bool lingers = ::send(client.get(), "x", 1, MSG_NOSIGNAL) == 1;
    client.Reset();
    server.join();
    return lingers;
  }

  std::string root_;
};

TEST_F(HttpProtocolTest, CreateRefusesWhatCannotBeServed) {
  HttpOptions options = Options();
  options.root = "";
  EXPECT_EQ(HttpProtocol::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.root = root_ + "/missing";
  absl::StatusOr<std::unique_ptr<HttpProtocol>> missing = HttpProtocol::Create(options);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(missing.status().message()).find(root_ + "/missing"), std::string::npos)
      << missing.status();
  options = Options();
  options.idle_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(HttpProtocol::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(HttpProtocolTest, HeaderTimeoutDerivesFromTheIdleTimeout) {
  HttpOptions options = Options();
  options.idle_timeout = std::chrono::milliseconds(300);
  EXPECT_EQ((*HttpProtocol::Create(options))->options().header_timeout,
            std::chrono::milliseconds(300));
  options.idle_timeout = std::chrono::seconds(60);
  EXPECT_EQ((*HttpProtocol::Create(options))->options().header_timeout, std::chrono::seconds(10));
  options.header_timeout = std::chrono::milliseconds(1234);
  EXPECT_EQ((*HttpProtocol::Create(options))->options().header_timeout,
            std::chrono::milliseconds(1234));
}

TEST_F(HttpProtocolTest, StatsRouteExistsOnlyWithAProvider) {
  absl::StatusOr<std::unique_ptr<HttpProtocol>> plain = HttpProtocol::Create(Options());
  ASSERT_TRUE(plain.ok()) << plain.status();
  std::string out =
      Exchange(**plain, "GET /_corral/stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 404 Not Found\r\n")) << out;

  HttpOptions options = Options();
  options.stats_provider = [] { return std::string(R"({"requests":7})"); };
  absl::StatusOr<std::unique_ptr<HttpProtocol>> with_stats = HttpProtocol::Create(options);
  ASSERT_TRUE(with_stats.ok()) << with_stats.status();
  out =
      Exchange(**with_stats, "GET /_corral/stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200 OK\r\n")) << out;
  EXPECT_NE(out.find("Content-Type: application/json\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Cache-Control: no-store\r\n"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("\r\n\r\n{\"requests\":7}")) << out;
}

TEST_F(HttpProtocolTest, AddedRoutesAndFilesShareAConnection) {
  absl::StatusOr<std::unique_ptr<HttpProtocol>> protocol = HttpProtocol::Create(Options());
  ASSERT_TRUE(protocol.ok());
  ASSERT_TRUE((*protocol)
                  ->Route(Method::kGet, "/hello",
                          [](const Request&, Response& response) { response.SetBody("hi"); })
                  .ok());
  EXPECT_EQ((*protocol)->Route(Method::kGet, "/healthz", [](const Request&, Response&) {}).code(),
            absl::StatusCode::kAlreadyExists);
  std::string out = Exchange(**protocol,
                             "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
                             "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
                             "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  size_t hello = out.find("\r\n\r\nhi");
  size_t file = out.find("\r\n\r\nfile a");
  size_t health = out.find("\r\n\r\nok\n");
  ASSERT_NE(hello, std::string::npos) << out;
  ASSERT_NE(file, std::string::npos) << out;
  ASSERT_NE(health, std::string::npos) << out;
  EXPECT_LT(hello, file);
  EXPECT_LT(file, health);
}

TEST_F(HttpProtocolTest, ClosesAtOnceWhenTheClientAskedForItAndLingersOtherwise) {
  absl::StatusOr<std::unique_ptr<HttpProtocol>> protocol = HttpProtocol::Create(Options());
  ASSERT_TRUE(protocol.ok());
  std::string response;
  EXPECT_FALSE(ServerLingers(
      **protocol, "GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", &response));
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_TRUE(response.ends_with("\r\n\r\nfile a")) << response;
  // An HTTP/1.0 client without keep-alive asked for the close too.
  response.clear();
  EXPECT_FALSE(ServerLingers(**protocol, "GET /a.txt HTTP/1.0\r\n\r\n", &response));
  EXPECT_TRUE(response.ends_with("file a")) << response;
  // Bytes after the last request: the server lingers so that they cannot reset the answer.
  response.clear();
  EXPECT_TRUE(ServerLingers(**protocol,
                            "GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                            "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n",
                            &response));
  EXPECT_TRUE(response.ends_with("file a")) << response;
  // The server's own decision to close (here a parse error) lingers as well.
  response.clear();
  EXPECT_TRUE(ServerLingers(**protocol, "BAD\r\n\r\n", &response));
  EXPECT_EQ(response.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << response;
}

TEST_F(HttpProtocolTest, ClientClosingMidRequestGetsNoAnswer) {
  absl::StatusOr<std::unique_ptr<HttpProtocol>> protocol = HttpProtocol::Create(Options());
  ASSERT_TRUE(protocol.ok());
  EXPECT_EQ(Exchange(**protocol, "GET /a.txt HTTP/1.1\r\nHo"), "");
}

}  // namespace
}  // namespace corral::http
