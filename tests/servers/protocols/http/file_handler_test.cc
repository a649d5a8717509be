#include "servers/protocols/http/file_handler.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "servers/protocols/http/request_parser.h"
#include "servers/protocols/http/static_file.h"

namespace corral::http {
namespace {

// base/www/{index.html, docs/index.html, a b.txt, big.bin}, base/secret.txt,
// base/www/leak -> ../secret.txt
class FileHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "corral_http_file_handler_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    base_ = pattern;
    ASSERT_EQ(mkdir((base_ + "/www").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((base_ + "/www/docs").c_str(), 0755), 0);
    std::ofstream(base_ + "/www/index.html") << "<h1>home</h1>\n";
    std::ofstream(base_ + "/www/docs/index.html") << "docs";
    std::ofstream(base_ + "/www/a b.txt") << "spaced";
    std::ofstream(base_ + "/www/big.bin") << std::string(1000, 'z');
    std::ofstream(base_ + "/secret.txt") << "secret";
    ASSERT_EQ(symlink("../secret.txt", (base_ + "/www/leak").c_str()), 0);
    absl::StatusOr<FileResolver> resolver = FileResolver::Create(base_ + "/www");
    ASSERT_TRUE(resolver.ok()) << resolver.status();
    root_ = resolver->root();
    handler_ = MakeFileHandler(*std::move(resolver));
  }

  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + base_ + "'").c_str()), 0); }

  const Response& Get(std::string_view raw) {
    parser_.Reset();
    FeedResult result = parser_.Feed(raw);
    EXPECT_EQ(result.status, ParseStatus::kComplete) << raw;
    response_.Reset();
    handler_(parser_.request(), response_);
    return response_;
  }

  std::string base_;
  std::string root_;
  Handler handler_;
  RequestParser parser_;
  Response response_;
};

// Whether the response's file body is the file at `path` (same device and inode).
::testing::AssertionResult SendsFile(const Response& response, const std::string& path) {
  if (!response.has_file_body()) return ::testing::AssertionFailure() << "no file body";
  struct stat sent, expected;
  if (fstat(response.file_body().fd.get(), &sent) != 0) {
    return ::testing::AssertionFailure() << "file body fd is not open";
  }
  if (stat(path.c_str(), &expected) != 0) return ::testing::AssertionFailure() << "no " << path;
  if (sent.st_dev != expected.st_dev || sent.st_ino != expected.st_ino) {
    return ::testing::AssertionFailure() << "file body is not " << path;
  }
  return ::testing::AssertionSuccess();
}

TEST_F(FileHandlerTest, ServesAFileAsAFileBody) {
  const Response& r = Get("GET /a%20b.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status(), StatusCode::kOk);
  ASSERT_TRUE(r.has_file_body());
  EXPECT_TRUE(SendsFile(r, root_ + "/a b.txt"));
  EXPECT_EQ(r.file_body().offset, 0u);
  EXPECT_EQ(r.file_body().length, 6u);
  EXPECT_NE(r.headers().find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  struct stat st;
  ASSERT_EQ(stat((root_ + "/a b.txt").c_str(), &st), 0);
  EXPECT_NE(r.headers().find("ETag: " + MakeETag(FileInfo::FromStat(st)) + "\r\n"),
            std::string::npos);
}

TEST_F(FileHandlerTest, DirectoriesServeTheirIndex) {
  const Response& r = Get("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status(), StatusCode::kOk);
  EXPECT_TRUE(SendsFile(r, root_ + "/index.html"));
  EXPECT_NE(r.headers().find("Content-Type: text/html; charset=utf-8\r\n"), std::string::npos);
  EXPECT_TRUE(SendsFile(Get("GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n"), root_ + "/docs/index.html"));
}

// The Location header of the response to `raw`, or "" when it has none.
std::string LocationOf(const Response& response) {
  std::string_view headers = response.headers();
  const std::size_t at = headers.find("Location: ");
  if (at == std::string_view::npos) return "";
  const std::size_t start = at + 10;
  return std::string(headers.substr(start, headers.find("\r\n", start) - start));
}

TEST_F(FileHandlerTest, DirectoryWithoutSlashRedirectsToTheNormalisedPathAndQuery) {
  const Response& r = Get("GET /%64ocs?lang=en HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status(), StatusCode::kMovedPermanently);
  EXPECT_FALSE(r.has_file_body());
  EXPECT_EQ(LocationOf(r), "/docs/?lang=en");
  const Response& absolute = Get("GET http://x/docs HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(absolute.status(), StatusCode::kMovedPermanently);
  EXPECT_EQ(LocationOf(absolute), "/docs/");
}

// A Location beginning with "//" or "/\\" is a network-path reference: the browser leaves for
// the host it names. Every spelling of the directory must come back as a path on this server.
TEST_F(FileHandlerTest, DirectoryRedirectsCannotLeaveTheServer) {
  const std::pair<std::string, std::string> cases[] = {
      {"//evil.example/../docs", "/docs/"},
      {"/\\evil.example/../docs", "/docs/"},
      {"/%5Cevil.example/../docs", "/docs/"},
      {"/%5cevil.example/%2e%2e/docs", "/docs/"},
      {"///docs", "/docs/"},
      {"//docs", "/docs/"},
      {"/./docs", "/docs/"},
      {"//evil.example/../docs?next=//evil.example", "/docs/?next=//evil.example"},
      {"http://x//evil.example/../docs", "/docs/"},
      {"http://x/\\evil.example/../docs", "/docs/"},
  };
  for (const auto& [target, expected] : cases) {
    const Response& r = Get("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status(), StatusCode::kMovedPermanently) << target;
    const std::string location = LocationOf(r);
    EXPECT_EQ(location, expected) << target;
    EXPECT_FALSE(location.starts_with("//") || location.starts_with("/\\")) << target;
  }
}

TEST_F(FileHandlerTest, DirectoryRedirectsPercentEncodeTheName) {
  // Directories whose names a client can only send encoded: a backslash (which a browser
  // would read as a slash), a space, a '%', a '?' and raw UTF-8.
  for (const char* name : {"\\evil.example", "a b%c?d", "caf\xc3\xa9"}) {
    ASSERT_EQ(mkdir((root_ + "/" + name).c_str(), 0755), 0) << name;
    std::ofstream(root_ + "/" + name + "/index.html") << "x";
  }
  EXPECT_EQ(LocationOf(Get("GET /%5Cevil.example HTTP/1.1\r\nHost: x\r\n\r\n")),
            "/%5Cevil.example/");
  EXPECT_EQ(LocationOf(Get("GET /a%20b%25c%3Fd HTTP/1.1\r\nHost: x\r\n\r\n")), "/a%20b%25c%3Fd/");
  EXPECT_EQ(LocationOf(Get("GET /caf%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n")), "/caf%C3%A9/");
}

TEST_F(FileHandlerTest, ErrorsUseTheResolverStatuses) {
  EXPECT_EQ(Get("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n").status(), StatusCode::kNotFound);
  EXPECT_EQ(Get("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n").body(), "404 Not Found\n");
  EXPECT_EQ(Get("GET /leak HTTP/1.1\r\nHost: x\r\n\r\n").status(), StatusCode::kForbidden);
  EXPECT_EQ(Get("GET /../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n").status(), StatusCode::kNotFound);
  EXPECT_EQ(Get("POST /index.html HTTP/1.1\r\nHost: x\r\n\r\n").status(),
            StatusCode::kMethodNotAllowed);
  EXPECT_EQ(Get("POST /docs HTTP/1.1\r\nHost: x\r\n\r\n").status(), StatusCode::kMethodNotAllowed);
}

TEST_F(FileHandlerTest, RangesAndConditionalsReachStaticFileLogic) {
  const Response& r = Get("GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=-10\r\n\r\n");
  EXPECT_EQ(r.status(), StatusCode::kPartialContent);
  EXPECT_EQ(r.file_body().offset, 990u);
  EXPECT_EQ(r.file_body().length, 10u);
  EXPECT_EQ(Get("GET /big.bin HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n\r\n").status(),
            StatusCode::kNotModified);
}

TEST_F(FileHandlerTest, WorksAsRouterFallback) {
  Router router;
  ASSERT_TRUE(router
                  .Add(Method::kGet, "/health",
                       [](const Request&, Response& response) { response.SetBody("ok"); })
                  .ok());
  router.SetFallback(handler_);
  parser_.Feed("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
  router.Dispatch(parser_.request(), response_);
  EXPECT_TRUE(SendsFile(response_, root_ + "/index.html"));
  parser_.Reset();
  parser_.Feed("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  router.Dispatch(parser_.request(), response_);
  EXPECT_EQ(response_.body(), "ok");
  EXPECT_FALSE(response_.has_file_body());
}

}  // namespace
}  // namespace corral::http
