// The pure pieces wired together the way the socket-level connection handler will wire them,
// over in-memory bytes: this is the reference for that handler's loop, and checks the exact
// bytes a client receives.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "servers/protocols/http/error_response.h"
#include "servers/protocols/http/file_handler.h"
#include "servers/protocols/http/request_parser.h"
#include "servers/protocols/http/response.h"
#include "servers/protocols/http/router.h"

namespace corral::http {
namespace {

constexpr std::string_view kDate = "Sun, 06 Nov 1994 08:49:37 GMT";

// One connection. OnRead gets what read() returned; `output` collects what would be written.
class FakeConnection {
 public:
  explicit FakeConnection(const Router& router) : router_(router) {}

  // Returns false once the connection is to be closed; later bytes are ignored.
  bool OnRead(std::string_view bytes) {
    std::string_view pending = bytes;
    while (!pending.empty() && !closed_) {
      FeedResult result = parser_.Feed(pending);
      pending.remove_prefix(result.consumed);
      switch (result.status) {
        case ParseStatus::kNeedMore:
          break;
        case ParseStatus::kHeadComplete:
          if (parser_.request().expect_continue) output += kContinueResponse;
          break;
        case ParseStatus::kComplete: {
          const Request& request = parser_.request();
          router_.Dispatch(request, response_);
          HeadOptions options;
          options.keep_alive = request.keep_alive;
          options.version = request.version;
          options.date = kDate;
          Send(request.method, options);
          closed_ = !response_.KeepsAlive(options);
          parser_.Reset();
          break;
        }
        case ParseStatus::kError: {
          MakeParseErrorResponse(parser_.error(), &response_);
          HeadOptions options;
          options.keep_alive = false;
          options.date = kDate;
          Send(Method::kGet, options);
          closed_ = true;
          break;
        }
      }
    }
    return !closed_;
  }

  std::string output;

 private:
  void Send(Method method, const HeadOptions& options) {
    response_.SerializeHead(options, &head_);
    output += head_;
    if (!ResponseHasBody(method, response_.status())) return;
    if (response_.has_file_body()) {
      // The real handler preads or sendfile()s this slice of the file the resolver opened.
      const FileBody& file = response_.file_body();
      std::string bytes(file.length, '\0');
      ssize_t n =
          ::pread(file.fd.get(), bytes.data(), bytes.size(), static_cast<off_t>(file.offset));
      EXPECT_EQ(n, static_cast<ssize_t>(file.length));
      output += bytes;
    } else {
      output += response_.body();  // with the head: one writev
    }
  }

  const Router& router_;
  RequestParser parser_;
  Response response_;
  std::string head_;
  bool closed_ = false;
};

class ConnectionFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "corral_http_flow_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    std::ofstream(root_ + "/digits.txt") << "0123456789";
    ASSERT_TRUE(router_
                    .Add(Method::kGet, "/health",
                         [](const Request&, Response& response) {
                           ASSERT_TRUE(response.AddHeader("Content-Type", "text/plain").ok());
                           response.SetBody("ok\n");
                         })
                    .ok());
    ASSERT_TRUE(
        router_
            .Add(Method::kPost, "/echo",
                 [](const Request& request, Response& response) { response.SetBody(request.body); })
            .ok());
    absl::StatusOr<FileResolver> resolver = FileResolver::Create(root_);
    ASSERT_TRUE(resolver.ok());
    router_.SetFallback(MakeFileHandler(*std::move(resolver)));
  }

  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + root_ + "'").c_str()), 0); }

  std::string root_;
  Router router_;
};

TEST_F(ConnectionFlowTest, PipelinedKeepAliveSession) {
  FakeConnection connection(router_);
  // Three reads that cut requests mid-line and mid-body.
  EXPECT_TRUE(connection.OnRead("GET /health HTTP/1.1\r\nHost: a\r\n\r\nHEAD /hea"));
  EXPECT_TRUE(
      connection.OnRead("lth HTTP/1.1\r\nHost: a\r\n\r\nPOST /echo HTTP/1.1\r\n"
                        "Host: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhel"));
  EXPECT_FALSE(
      connection.OnRead("lo"
                        "DELETE /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                        "GET /never HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_EQ(connection.output,
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: corral\r\n"
            "Content-Length: 3\r\n"
            "Content-Type: text/plain\r\n"
            "\r\n"
            "ok\n"
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: corral\r\n"
            "Content-Length: 3\r\n"
            "Content-Type: text/plain\r\n"
            "\r\n"  // HEAD: no body
            "HTTP/1.1 100 Continue\r\n\r\n"
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: corral\r\n"
            "Content-Length: 5\r\n"
            "\r\n"
            "hello"
            "HTTP/1.1 405 Method Not Allowed\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: corral\r\n"
            "Content-Length: 23\r\n"
            "Connection: close\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Allow: GET, HEAD\r\n"
            "\r\n"
            "405 Method Not Allowed\n");
}

TEST_F(ConnectionFlowTest, StaticFileRangeAndNotModified) {
  FakeConnection connection(router_);
  EXPECT_TRUE(connection.OnRead("GET /digits.txt HTTP/1.1\r\nHost: a\r\nRange: bytes=5-\r\n\r\n"));
  std::string_view out = connection.output;
  EXPECT_TRUE(out.starts_with("HTTP/1.1 206 Partial Content\r\n"));
  EXPECT_NE(out.find("Content-Length: 5\r\n"), std::string_view::npos);
  EXPECT_NE(out.find("Content-Range: bytes 5-9/10\r\n"), std::string_view::npos);
  EXPECT_NE(out.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string_view::npos);
  EXPECT_TRUE(out.ends_with("\r\n\r\n56789"));

  std::size_t etag_at = out.find("ETag: ") + 6;
  std::string etag(out.substr(etag_at, out.find("\r\n", etag_at) - etag_at));
  connection.output.clear();
  EXPECT_TRUE(connection.OnRead("GET /digits.txt HTTP/1.1\r\nHost: a\r\nIf-None-Match: " + etag +
                                "\r\n\r\n"));
  EXPECT_TRUE(connection.output.starts_with("HTTP/1.1 304 Not Modified\r\n"));
  EXPECT_TRUE(std::string_view(connection.output).ends_with("\r\n\r\n"));
  EXPECT_EQ(connection.output.find("Content-Length"), std::string::npos);
}

TEST_F(ConnectionFlowTest, ParseErrorAnswersAndCloses) {
  FakeConnection connection(router_);
  EXPECT_FALSE(
      connection.OnRead("GET /health HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n"
                        "GET /health HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_EQ(connection.output,
            "HTTP/1.1 400 Bad Request\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: corral\r\n"
            "Content-Length: 16\r\n"
            "Connection: close\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "400 Bad Request\n");
}

TEST_F(ConnectionFlowTest, Http10KeepAliveIsExplicit) {
  FakeConnection connection(router_);
  EXPECT_TRUE(connection.OnRead("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  EXPECT_NE(connection.output.find("Connection: keep-alive\r\n"), std::string::npos);
  connection.output.clear();
  EXPECT_FALSE(connection.OnRead("GET /health HTTP/1.0\r\n\r\n"));
  EXPECT_NE(connection.output.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(connection.output.ends_with("ok\n"));
}

}  // namespace
}  // namespace corral::http
