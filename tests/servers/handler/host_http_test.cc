// The HTTP entries of the host table, driven as a plugin drives them: a zeroed corral_host
// filled by FillHttp, routes mounted by a C add_routes through route_add, and real HTTP
// requests over TCP on 127.0.0.1 to an HttpProtocol serving those routes next to its files.
#include "servers/handler/host_http.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "servers/protocols/http/http_protocol.h"
#include "tests/servers/handler/route_server.h"
#include "tests/servers/protocols/http/http_test_client.h"
#include "tests/support/wait_for.h"

namespace corral::handler {
namespace {

using testing::FetchOnce;
using testing::HttpReply;
using testing::HttpTestClient;
using testing::Request;

// What the C routes below call through, as a plugin keeps the table init gave it.
const corral_host* host = nullptr;

std::string Text(corral_str s) {
  return s.data == nullptr ? "<absent>" : std::string(s.data, s.size);
}

void Hello(void*, const corral_http_request*, corral_http_response* response) {
  // Set twice, as HttpResponse::Json then Text would: the second replaces the first.
  host->response_header(response, "content-type", "application/json");
  host->response_header(response, "Content-Type", "text/plain");
  host->response_body(response, "hello\n", 6);
}

// Reports everything the request view gives, one "name=value" per line.
void Inspect(void* arg, const corral_http_request* request, corral_http_response* response) {
  std::string body = std::string(static_cast<const char*>(arg)) + "\n" +
                     "method=" + Text(host->request_method(request)) + "\n" +
                     "path=" + Text(host->request_path(request)) + "\n" +
                     "query=" + Text(host->request_query(request)) + "\n" +
                     "id=" + Text(host->request_param(request, "id")) + "\n" +
                     "nope=" + Text(host->request_param(request, "nope")) + "\n" +
                     "q=" + Text(host->request_query_param(request, "q")) + "\n" +
                     "empty=" + Text(host->request_query_param(request, "empty")) + "\n" +
                     "token=" + Text(host->request_header(request, "x-TOKEN")) + "\n" +
                     "body=" + Text(host->request_body(request)) + "\n";
  host->response_status(response, 201);
  host->response_header(response, "X-Route", "inspect");
  host->response_body(response, body.data(), body.size());
}

void Untouched(void*, const corral_http_request*, corral_http_response*) {}

void Unavailable(void*, const corral_http_request*, corral_http_response* response) {
  host->response_status(response, 503);
  host->response_body(response, "busy\n", 5);
}

void ForbiddenHeader(void*, const corral_http_request*, corral_http_response* response) {
  host->response_header(response, "Content-Length", "999");
  host->response_body(response, "x", 1);
}

void Interim(void*, const corral_http_request*, corral_http_response* response) {
  host->response_status(response, 101);
}

char kInspectTag[] = "inspect";

corral_status AddRoutes(void*, corral_routes* routes) {
  corral_status status = CORRAL_OK;
  auto add = [&](const char* method, const char* pattern, corral_route_fn fn, void* arg) {
    if (status == CORRAL_OK) status = host->route_add(routes, method, pattern, fn, arg);
  };
  add("GET", "/hello", Hello, nullptr);
  add("*", "/users/{id}", Inspect, kInspectTag);
  add("GET", "/untouched", Untouched, nullptr);
  add("GET", "/busy", Unavailable, nullptr);
  add("GET", "/bad-header", ForbiddenHeader, nullptr);
  add("GET", "/interim", Interim, nullptr);
  add("DELETE", "/only-delete", Untouched, nullptr);
  return status;
}

class HostHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    filled_ = corral_host{};
    FillHttp(&filled_);
    host = &filled_;
    std::string pattern = ::testing::TempDir() + "corral_host_http_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    std::ofstream(root_ + "/page.html") << "<p>static</p>\n";
  }

  void TearDown() override {
    server_.reset();
    host = nullptr;
    ASSERT_EQ(std::system(("rm -rf '" + root_ + "'").c_str()), 0);
  }

  void ServePluginRoutes() {
    absl::StatusOr<std::shared_ptr<const http::RouteTable>> routes =
        CollectRoutes(AddRoutes, nullptr, "test");
    ASSERT_TRUE(routes.ok()) << routes.status();
    server_ = std::make_unique<testing::RouteServer>();
    absl::Status started = server_->Start(root_, *std::move(routes));
    ASSERT_TRUE(started.ok()) << started;
    address_ = server_->address();
  }

  uint64_t Requests() const { return server_->requests(); }
  uint64_t ProtocolErrors() const { return server_->protocol_errors(); }

  corral_host filled_;
  std::string root_;
  std::unique_ptr<testing::RouteServer> server_;
  std::string address_;
};

TEST_F(HostHttpTest, FillsExactlyTheHttpEntries) {
  corral_host table{};
  FillHttp(&table);
  EXPECT_NE(table.route_add, nullptr);
  EXPECT_NE(table.request_method, nullptr);
  EXPECT_NE(table.request_path, nullptr);
  EXPECT_NE(table.request_query, nullptr);
  EXPECT_NE(table.request_param, nullptr);
  EXPECT_NE(table.request_query_param, nullptr);
  EXPECT_NE(table.request_header, nullptr);
  EXPECT_NE(table.request_body, nullptr);
  EXPECT_NE(table.response_status, nullptr);
  EXPECT_NE(table.response_header, nullptr);
  EXPECT_NE(table.response_body, nullptr);
  // Nothing before the HTTP block: the other parts own it.
  table.route_add = nullptr;
  table.request_method = table.request_path = table.request_query = table.request_body = nullptr;
  table.request_param = table.request_query_param = table.request_header = nullptr;
  table.response_status = nullptr;
  table.response_header = nullptr;
  table.response_body = nullptr;
  const corral_host zero{};
  EXPECT_EQ(std::memcmp(&table, &zero, sizeof table), 0);
}

TEST_F(HostHttpTest, ServesRoutesNextToFilesOverKeepAlive) {
  ServePluginRoutes();
  HttpTestClient client(address_);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(Request("GET", "/hello") + Request("GET", "/page.html") +
                          Request("HEAD", "/hello") + Request("GET", "/healthz")));
  std::optional<HttpReply> hello = client.Read();
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->status, 200);
  EXPECT_EQ(hello->body, "hello\n");
  EXPECT_EQ(hello->Header("Content-Type"), "text/plain");
  EXPECT_EQ(hello->Header("Content-Length"), "6");
  EXPECT_TRUE(hello->HasHeader("Date"));
  EXPECT_FALSE(hello->HasHeader("Connection"));  // kept alive
  std::optional<HttpReply> page = client.Read();
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->body, "<p>static</p>\n");
  std::optional<HttpReply> head = client.Read(/*head_request=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Length"), "6");
  EXPECT_EQ(head->body, "");
  std::optional<HttpReply> health = client.Read();  // the built-in route, not a user's
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->body, "ok\n");
  ASSERT_TRUE(client.Send(Request("GET", "/hello", "Connection: close\r\n")));
  std::optional<HttpReply> last = client.Read();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->Header("Connection"), "close");
  EXPECT_TRUE(client.ClosedByServer());
  EXPECT_TRUE(testing::WaitFor([&] { return Requests() == 5; })) << Requests();
  EXPECT_EQ(ProtocolErrors(), 0u);
}

TEST_F(HostHttpTest, RequestViewReachesTheRoute) {
  ServePluginRoutes();
  std::optional<HttpReply> reply =
      FetchOnce(address_, Request("PATCH", "/users/J%C3%BCrg%20en?q=a+b%26c&empty=&x=1",
                                  "X-Token: secret\r\nContent-Length: 4\r\nConnection: close\r\n") +
                              "data");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status_line, "HTTP/1.1 201 Created");  // a route's status has its reason
  EXPECT_EQ(reply->Header("X-Route"), "inspect");
  EXPECT_EQ(reply->body,
            "inspect\n"
            "method=PATCH\n"
            "path=/users/J\xC3\xBCrg en\n"
            "query=q=a+b%26c&empty=&x=1\n"
            "id=J\xC3\xBCrg en\n"
            "nope=<absent>\n"
            "q=a b&c\n"
            "empty=\n"
            "token=secret\n"
            "body=data\n");
}

TEST_F(HostHttpTest, DefaultsMismatchesAndServerErrors) {
  ServePluginRoutes();
  std::optional<HttpReply> untouched =
      FetchOnce(address_, Request("GET", "/untouched", "Connection: close\r\n"));
  ASSERT_TRUE(untouched.has_value());
  EXPECT_EQ(untouched->status, 200);
  EXPECT_EQ(untouched->Header("Content-Length"), "0");

  std::optional<HttpReply> wrong_method =
      FetchOnce(address_, Request("GET", "/only-delete", "Connection: close\r\n"));
  ASSERT_TRUE(wrong_method.has_value());
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->Header("Allow"), "DELETE");

  std::optional<HttpReply> missing =
      FetchOnce(address_, Request("GET", "/no-such-file", "Connection: close\r\n"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);  // no route: the files answer

  const uint64_t errors_before = ProtocolErrors();
  for (const char* path : {"/busy", "/bad-header", "/interim"}) {
    std::optional<HttpReply> reply =
        FetchOnce(address_, Request("GET", path, "Connection: close\r\n"));
    ASSERT_TRUE(reply.has_value()) << path;
    if (std::string(path) == "/busy") {
      EXPECT_EQ(reply->status, 503);
      EXPECT_EQ(reply->body, "busy\n");
    } else {
      // A response the host cannot send as asked is a 500, not a half-right answer.
      EXPECT_EQ(reply->status, 500) << path;
      EXPECT_EQ(reply->Header("Content-Length"), std::to_string(reply->body.size())) << path;
    }
  }
  // Every answer >= 500 is a failed request in stats.
  EXPECT_TRUE(testing::WaitFor([&] { return ProtocolErrors() - errors_before == 3; }))
      << ProtocolErrors() - errors_before;
}

// The built-in routes come first: a catch-all route gets every other path, never /healthz.
TEST_F(HostHttpTest, BuiltInRoutesWinOverACatchAll) {
  auto routes = std::make_shared<http::RouteTable>();
  ASSERT_TRUE(routes
                  ->Add("*", "/{path...}",
                        [](const http::RouteRequest& request, http::Response& response) {
                          response.SetBody("route " + std::string(request.path()));
                        })
                  .ok());
  server_ = std::make_unique<testing::RouteServer>();
  ASSERT_TRUE(server_->Start(root_, routes).ok());
  for (const auto& [path, body] :
       {std::pair{"/healthz", "ok\n"}, std::pair{"/page.html", "route /page.html"},
        std::pair{"/healthz/x", "route /healthz/x"}}) {
    std::optional<HttpReply> reply =
        FetchOnce(server_->address(), Request("GET", path, "Connection: close\r\n"));
    ASSERT_TRUE(reply.has_value()) << path;
    EXPECT_EQ(reply->body, body) << path;
  }
}

// A plugin whose route_add is refused fails the server with that reason, even if it ignored
// the INVALID and returned OK.
corral_status AddBadRoutes(void*, corral_routes* routes) {
  EXPECT_EQ(host->route_add(routes, "GET", "/ok", Untouched, nullptr), CORRAL_OK);
  EXPECT_EQ(host->route_add(routes, "GET", "/a/{b", Untouched, nullptr), CORRAL_INVALID);
  EXPECT_EQ(host->route_add(routes, "GET", "/ok", Untouched, nullptr), CORRAL_INVALID);
  EXPECT_EQ(host->route_add(routes, "GET", nullptr, Untouched, nullptr), CORRAL_INVALID);
  return CORRAL_OK;
}

corral_status AddNothingAndFail(void*, corral_routes*) { return CORRAL_ERROR; }

TEST_F(HostHttpTest, RefusedRoutesFailTheServerWithTheFirstReason) {
  absl::StatusOr<std::shared_ptr<const http::RouteTable>> bad =
      CollectRoutes(AddBadRoutes, nullptr, "shop");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(bad.status().message(),
            "add routes of handler shop: route GET /a/{b: segment \"{b\": a parameter is a "
            "whole segment, \"{name}\"");
  absl::StatusOr<std::shared_ptr<const http::RouteTable>> failed =
      CollectRoutes(AddNothingAndFail, nullptr, "shop");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "add routes of handler shop: add_routes returned status 8");
  EXPECT_FALSE(CollectRoutes(nullptr, nullptr, "shop").ok());
}

}  // namespace
}  // namespace corral::handler
