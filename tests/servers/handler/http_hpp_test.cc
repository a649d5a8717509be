// sdk/include/corral/http.hpp, the C++ layer a plugin's routes are written in, driven through
// the host's real HTTP entries (host_http.h) and served over TCP on 127.0.0.1: what a plugin
// built on it does inside corral-server, without the loader.
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "corral/http.hpp"  // first, as a plugin may include it before handler.hpp
#include "gtest/gtest.h"
#include "servers/handler/host_http.h"
#include "tests/servers/handler/route_server.h"
#include "tests/servers/protocols/http/http_test_client.h"

// What <corral/handler.hpp> (the sdk part of the SDK) provides to http.hpp: the host table
// and the RoutesOf hook that CORRAL_HANDLER's description reads.
namespace corral {
namespace test_host {
inline const corral_host* table = nullptr;
inline std::vector<std::string> logged;
}  // namespace test_host
inline const corral_host* Host() { return test_host::table; }
namespace internal {
template <typename T, typename = void>
struct RoutesOf {
  static constexpr corral_status (*add_routes)(void*, corral_routes*) = nullptr;
};
}  // namespace internal
}  // namespace corral

namespace corral::handler {
namespace {

using testing::FetchOnce;
using testing::HttpReply;
using testing::Request;

void Log(corral_conn*, int, const char* message) { test_host::logged.push_back(message); }

// A handler as a plugin author writes it.
class Shop {
 public:
  void AddRoutes(Routes& routes) {
    routes
        .Get("/greet/{name}",
             [](const HttpRequest& request, HttpResponse& response) {
               response.Text("hello, " + std::string(request.Param("name")) + "\n");
             })
        .Post("/items", this, &Shop::AddItem)
        .Get("/query",
             [](const HttpRequest& request, HttpResponse& response) {
               std::string json = "[";
               for (const auto& [name, value] : ParseQuery(request.RawQuery())) {
                 json += (json.size() > 1 ? "," : "") + JsonString(name) + ":" + JsonString(value);
               }
               response.Json(json + "]");
             })
        .Any("/throw", [](const HttpRequest&, HttpResponse& response) {
          response.Header("X-Before", "set");
          throw std::runtime_error("out of stock");
        });
  }

 private:
  void AddItem(const HttpRequest& request, HttpResponse& response) {
    items_.emplace_back(request.Body());
    response.Status(201).Json("{\"count\":" + std::to_string(items_.size()) + "}");
  }

  std::vector<std::string> items_;
};

class BadShop {
 public:
  void AddRoutes(Routes& routes) {
    routes.Get("/a/{b", [](const HttpRequest&, HttpResponse&) {})
        .Get("/fine", [](const HttpRequest&, HttpResponse&) {});
    status = routes.status();
  }
  corral_status status = CORRAL_OK;
};

class HttpHppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = corral_host{};
    FillHttp(&table_);
    table_.log = Log;
    test_host::table = &table_;
    test_host::logged.clear();
    std::string pattern = ::testing::TempDir() + "corral_http_hpp_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    std::ofstream(root_ + "/index.html") << "home\n";
  }
  void TearDown() override {
    server_.reset();
    test_host::table = nullptr;
    ASSERT_EQ(std::system(("rm -rf '" + root_ + "'").c_str()), 0);
  }

  std::optional<HttpReply> Fetch(std::string_view method, std::string_view target,
                                 std::string_view body = "") {
    std::string extra = "Connection: close\r\n";
    if (!body.empty()) extra += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return FetchOnce(server_->address(), Request(method, target, extra) + std::string(body));
  }

  corral_host table_;
  std::string root_;
  std::unique_ptr<testing::RouteServer> server_;
};

TEST_F(HttpHppTest, RoutesOfExportsAddRoutesAndServesThem) {
  Shop shop;
  ASSERT_NE(internal::RoutesOf<Shop>::add_routes, nullptr);
  EXPECT_EQ(internal::RoutesOf<int>::add_routes, nullptr);  // a handler without routes
  absl::StatusOr<std::shared_ptr<const http::RouteTable>> routes =
      CollectRoutes(internal::RoutesOf<Shop>::add_routes, &shop, "shop");
  ASSERT_TRUE(routes.ok()) << routes.status();
  server_ = std::make_unique<testing::RouteServer>();
  ASSERT_TRUE(server_->Start(root_, *std::move(routes)).ok());

  std::optional<HttpReply> greet = Fetch("GET", "/greet/J%C3%BCrgen");
  ASSERT_TRUE(greet.has_value());
  EXPECT_EQ(greet->body, "hello, J\xC3\xBCrgen\n");
  EXPECT_EQ(greet->Header("Content-Type"), "text/plain; charset=utf-8");

  for (int i = 1; i <= 2; ++i) {
    std::optional<HttpReply> item = Fetch("POST", "/items", "apple");
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->status, 201);
    EXPECT_EQ(item->body, "{\"count\":" + std::to_string(i) + "}");
    EXPECT_EQ(item->Header("Content-Type"), "application/json");
  }

  std::optional<HttpReply> query = Fetch("GET", "/query?a=1&q=%22hi%22+%5C&bad=%FF&ctl=%01");
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->body,
            "[\"a\":\"1\",\"q\":\"\\\"hi\\\" \\\\\",\"bad\":\"\\ufffd\",\"ctl\":\"\\u0001\"]");

  std::optional<HttpReply> thrown = Fetch("DELETE", "/throw");
  ASSERT_TRUE(thrown.has_value());
  EXPECT_EQ(thrown->status, 500);
  EXPECT_EQ(thrown->Header("X-Before"), "set");
  ASSERT_EQ(test_host::logged.size(), 1u);
  EXPECT_EQ(test_host::logged[0], "route threw: out of stock");

  std::optional<HttpReply> home = Fetch("GET", "/");  // no route: the root's index.html
  ASSERT_TRUE(home.has_value());
  EXPECT_EQ(home->body, "home\n");
}

TEST_F(HttpHppTest, RefusedRouteIsKeptInStatusAndFailsTheStart) {
  BadShop shop;
  absl::StatusOr<std::shared_ptr<const http::RouteTable>> routes =
      CollectRoutes(internal::RoutesOf<BadShop>::add_routes, &shop, "bad");
  EXPECT_EQ(shop.status, CORRAL_INVALID);
  ASSERT_FALSE(routes.ok());
  EXPECT_EQ(routes.status().message(),
            "add routes of handler bad: route GET /a/{b: segment \"{b\": a parameter is a whole "
            "segment, \"{name}\"");
}

TEST(JsonStringTest, EscapesAndRepairsUtf8) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("q\"b\\n\n\t\x1f"), "\"q\\\"b\\\\n\\n\\t\\u001f\"");
  EXPECT_EQ(JsonString("J\xC3\xBCrgen \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"J\xC3\xBCrgen \xE2\x82\xAC \xF0\x9F\x98\x80\"");
  EXPECT_EQ(JsonString("\xC0\xAF"), "\"\\ufffd\\ufffd\"");             // overlong '/'
  EXPECT_EQ(JsonString("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate
  EXPECT_EQ(JsonString("\xE2\x82"), "\"\\ufffd\\ufffd\"");             // cut short
  EXPECT_EQ(JsonString(std::string_view("a\0b", 3)), "\"a\\u0000b\"");
}

TEST(ParseQueryTest, DecodesInOrder) {
  std::vector<std::pair<std::string, std::string>> expected = {
      {"a", "1"}, {"b", "x y"}, {"a", "2"}, {"flag", ""}, {"p", "100%"}};
  EXPECT_EQ(ParseQuery("a=1&b=x+y&&a=%32&flag&p=100%"), expected);
}

}  // namespace
}  // namespace corral::handler
