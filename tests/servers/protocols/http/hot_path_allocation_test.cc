// Checks the promise in request_parser.h and response.h: a small GET through parser, router
// (a route, or the static files under a root) and response head costs no heap allocation
// (allocation_counter.cc counts operator new).
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "servers/protocols/http/file_handler.h"
#include "servers/protocols/http/file_resolver.h"
#include "servers/protocols/http/request_parser.h"
#include "servers/protocols/http/response.h"
#include "servers/protocols/http/route_table.h"
#include "servers/protocols/http/router.h"
#include "tests/servers/protocols/http/allocation_counter.h"

namespace corral::http {
namespace {

// A typical browser navigation: nine headers, about 500 bytes.
constexpr std::string_view kBrowserGet =
    "GET /health?probe=1 HTTP/1.1\r\n"
    "Host: corral.example:8080\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "\r\n";

TEST(HotPathAllocationTest, CounterSeesAllocations) {
  long before = test_support::AllocationCount();
  auto text = std::make_unique<std::string>(100, 'x');
  EXPECT_GE(test_support::AllocationCount() - before, 2);  // the string object and its buffer
}

TEST(HotPathAllocationTest, SmallGetAllocatesNothing) {
  Router router;
  ASSERT_TRUE(router
                  .Add(Method::kGet, "/health",
                       [](const Request& request, Response& response) {
                         response.SetBody("ok\n");
                         response.AddHeader("Content-Type", "text/plain").IgnoreError();
                       })
                  .ok());
  RequestParser parser;
  Response response;
  std::string head;
  head.reserve(1024);

  long before = test_support::AllocationCount();
  for (int round = 0; round < 3; ++round) {
    // Split in two reads to exercise buffering as well.
    FeedResult first = parser.Feed(kBrowserGet.substr(0, 100));
    ASSERT_EQ(first.status, ParseStatus::kNeedMore);
    FeedResult second = parser.Feed(kBrowserGet.substr(100));
    ASSERT_EQ(second.status, ParseStatus::kComplete);
    ASSERT_EQ(parser.request().path, "/health");
    router.Dispatch(parser.request(), response);
    HeadOptions options;
    options.keep_alive = parser.request().keep_alive;
    options.version = parser.request().version;
    options.date = "Sun, 06 Nov 1994 08:49:37 GMT";
    response.SerializeHead(options, &head);
    parser.Reset();
  }
  EXPECT_EQ(test_support::AllocationCount() - before, 0);
  EXPECT_EQ(response.body(), "ok\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
}

// A user route as HttpProtocol mounts it: the router's fallback asks the route table. A
// literal route and one with a parameter both cost no allocation (route_table.h).
TEST(HotPathAllocationTest, UserRouteGetAllocatesNothing) {
  auto routes = std::make_shared<RouteTable>();
  ASSERT_TRUE(routes
                  ->Add("GET", "/health",
                        [](const RouteRequest&, Response& response) {
                          response.SetBody("route\n");
                          response.AddHeader("Content-Type", "text/plain").IgnoreError();
                        })
                  .ok());
  ASSERT_TRUE(routes
                  ->Add("GET", "/users/{id}",
                        [](const RouteRequest& request, Response& response) {
                          response.SetBody(request.Param("id").value_or("?"));
                        })
                  .ok());
  Router router;
  router.SetFallback([routes](const Request& request, Response& response) {
    if (!routes->Dispatch(request, response)) response.SetStatus(StatusCode::kNotFound);
  });
  RequestParser parser;
  Response response;
  std::string head;
  head.reserve(1024);
  constexpr std::string_view kUser = "GET /users/42 HTTP/1.1\r\nHost: a\r\n\r\n";

  long before = test_support::AllocationCount();
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(parser.Feed(kBrowserGet).status, ParseStatus::kComplete);
    router.Dispatch(parser.request(), response);
    ASSERT_EQ(response.body(), "route\n");
    response.SerializeHead(HeadOptions(), &head);
    parser.Reset();
    ASSERT_EQ(parser.Feed(kUser).status, ParseStatus::kComplete);
    router.Dispatch(parser.request(), response);
    ASSERT_EQ(response.body(), "42");
    response.SerializeHead(HeadOptions(), &head);
    parser.Reset();
  }
  EXPECT_EQ(test_support::AllocationCount() - before, 0);
}

TEST(HotPathAllocationTest, StaticFileGetAllocatesNothing) {
  std::string root = ::testing::TempDir() + "corral_http_hot_path_XXXXXX";
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  std::ofstream(root + "/index.html") << "Hello, world!\n";
  absl::StatusOr<FileResolver> resolver = FileResolver::Create(root);
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  ASSERT_EQ(resolver->lookup(), FileResolver::Lookup::kOpenat2);  // realpath builds strings
  Router router;
  router.SetFallback(MakeFileHandler(*std::move(resolver)));
  constexpr std::string_view kGet =
      "GET /index.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\n\r\n";
  RequestParser parser;
  Response response;
  std::string head;
  head.reserve(1024);

  long before = test_support::AllocationCount();
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(parser.Feed(kGet).status, ParseStatus::kComplete);
    router.Dispatch(parser.request(), response);
    ASSERT_EQ(response.status(), StatusCode::kOk);
    ASSERT_TRUE(response.has_file_body());
    response.SerializeHead(HeadOptions(), &head);
    parser.Reset();
  }
  EXPECT_EQ(test_support::AllocationCount() - before, 0);
  EXPECT_EQ(response.content_length(), 14u);
  response.Reset();
  ASSERT_EQ(std::system(("rm -rf '" + root + "'").c_str()), 0);
}

TEST(HotPathAllocationTest, CachedStaticFileGetAllocatesNothingAfterTheFirst) {
  std::string root = ::testing::TempDir() + "corral_http_hot_path_cached_XXXXXX";
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  std::ofstream(root + "/index.html") << "Hello, world!\n";
  absl::StatusOr<FileResolver> resolver = FileResolver::Create(root);
  ASSERT_TRUE(resolver.ok()) << resolver.status();
  FileCache::Options settled;  // a clock ahead, so the file just written counts as settled
  settled.now = [] { return std::time(nullptr) + 3600; };
  Router router;
  router.SetFallback(MakeFileHandler(*std::move(resolver), settled));
  constexpr std::string_view kGet =
      "GET /index.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\n\r\n";
  RequestParser parser;
  Response response;
  std::string head;
  head.reserve(1024);
  ASSERT_EQ(parser.Feed(kGet).status, ParseStatus::kComplete);
  router.Dispatch(parser.request(), response);  // the miss that fills the cache allocates
  response.SerializeHead(HeadOptions(), &head);
  parser.Reset();

  long before = test_support::AllocationCount();
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(parser.Feed(kGet).status, ParseStatus::kComplete);
    router.Dispatch(parser.request(), response);
    ASSERT_EQ(response.status(), StatusCode::kOk);
    ASSERT_FALSE(response.has_file_body());  // served from the cache
    response.SerializeHead(HeadOptions(), &head);
    parser.Reset();
  }
  EXPECT_EQ(test_support::AllocationCount() - before, 0);
  EXPECT_EQ(response.body(), "Hello, world!\n");
  ASSERT_EQ(std::system(("rm -rf '" + root + "'").c_str()), 0);
}

TEST(HotPathAllocationTest, ReusedParserStopsAllocatingAfterTheFirstBody) {
  constexpr std::string_view kPost =
      "POST /api HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "400\r\n" /* 1 KiB chunk follows */;
  std::string request(kPost);
  request += std::string(1024, 'x') + "\r\n0\r\n\r\n";
  RequestParser parser;
  auto parse = [&] {
    std::string_view pending = request;
    while (!pending.empty()) {
      FeedResult result = parser.Feed(pending);
      pending.remove_prefix(result.consumed);
      if (result.status == ParseStatus::kComplete) break;
      ASSERT_NE(result.status, ParseStatus::kError);
    }
    ASSERT_EQ(parser.request().body.size(), 1024u);
    parser.Reset();
  };
  parse();  // grows the body buffer once
  long before = test_support::AllocationCount();
  for (int i = 0; i < 3; ++i) parse();
  EXPECT_EQ(test_support::AllocationCount() - before, 0);
}

}  // namespace
}  // namespace corral::http
