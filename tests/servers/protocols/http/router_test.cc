#include "servers/protocols/http/router.h"

#include <string>

#include "gtest/gtest.h"
#include "servers/protocols/http/request_parser.h"

namespace corral::http {
namespace {

// Parses a real request so the router sees exactly what a connection would hand it.
class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(router_
                    .Add(Method::kGet, "/health",
                         [](const Request&, Response& response) { response.SetBody("ok\n"); })
                    .ok());
    ASSERT_TRUE(router_
                    .Add(Method::kPost, "/echo",
                         [](const Request& request, Response& response) {
                           response.SetBody(request.body);
                           ASSERT_TRUE(response.AddHeader("X-Query", request.query).ok());
                         })
                    .ok());
    ASSERT_TRUE(router_
                    .Add(Method::kPut, "/echo",
                         [](const Request&, Response& response) {
                           response.SetStatus(StatusCode::kNoContent);
                         })
                    .ok());
  }

  const Response& Dispatch(std::string_view raw) {
    parser_.Reset();
    std::size_t consumed = 0;
    FeedResult result;
    do {
      result = parser_.Feed(raw.substr(consumed));
      consumed += result.consumed;
    } while (result.status == ParseStatus::kHeadComplete);
    EXPECT_EQ(result.status, ParseStatus::kComplete) << raw;
    router_.Dispatch(parser_.request(), response_);
    return response_;
  }

  Router router_;
  RequestParser parser_;
  Response response_;
};

TEST_F(RouterTest, DispatchesByMethodAndExactDecodedPath) {
  EXPECT_EQ(Dispatch("GET /health HTTP/1.1\r\nHost: a\r\n\r\n").body(), "ok\n");
  EXPECT_EQ(Dispatch("GET /%68ealth?verbose=1 HTTP/1.1\r\nHost: a\r\n\r\n").body(), "ok\n");
  EXPECT_EQ(Dispatch("GET /x/../health HTTP/1.1\r\nHost: a\r\n\r\n").body(), "ok\n");
  const Response& echo =
      Dispatch("POST /echo?a=%20 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(echo.status(), StatusCode::kOk);
  EXPECT_EQ(echo.body(), "hello");
  EXPECT_EQ(echo.headers(), "X-Query: a=%20\r\n");
  EXPECT_EQ(Dispatch("PUT /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx").status(),
            StatusCode::kNoContent);
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  const Response& response = Dispatch("HEAD /health HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(response.status(), StatusCode::kOk);
  EXPECT_EQ(response.content_length(), 3u);
  EXPECT_FALSE(ResponseHasBody(Method::kHead, response.status()));
}

TEST_F(RouterTest, UnknownPathIs404) {
  const Response& response = Dispatch("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(response.status(), StatusCode::kNotFound);
  EXPECT_EQ(response.body(), "404 Not Found\n");
  EXPECT_EQ(Dispatch("GET /health/ HTTP/1.1\r\nHost: a\r\n\r\n").status(), StatusCode::kNotFound);
  EXPECT_EQ(Dispatch("GET /HEALTH HTTP/1.1\r\nHost: a\r\n\r\n").status(), StatusCode::kNotFound);
  EXPECT_EQ(Dispatch("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").status(), StatusCode::kNotFound);
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  const Response& response = Dispatch("DELETE /echo HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(response.status(), StatusCode::kMethodNotAllowed);
  EXPECT_EQ(response.headers(), "Content-Type: text/plain; charset=utf-8\r\nAllow: POST, PUT\r\n");
  const Response& health = Dispatch("POST /health HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(health.status(), StatusCode::kMethodNotAllowed);
  EXPECT_NE(health.headers().find("Allow: GET, HEAD\r\n"), std::string_view::npos);
}

TEST_F(RouterTest, FallbackHandlesUnroutedPaths) {
  router_.SetFallback([](const Request& request, Response& response) {
    response.SetBody(std::string("static:") + std::string(request.path));
  });
  EXPECT_EQ(Dispatch("GET /css/site.css HTTP/1.1\r\nHost: a\r\n\r\n").body(),
            "static:/css/site.css");
  // A routed path still answers 405 rather than falling through.
  EXPECT_EQ(Dispatch("DELETE /health HTTP/1.1\r\nHost: a\r\n\r\n").status(),
            StatusCode::kMethodNotAllowed);
}

TEST_F(RouterTest, DispatchResetsTheResponseFirst) {
  response_.SetStatus(StatusCode::kForbidden);
  ASSERT_TRUE(response_.AddHeader("X-Stale", "1").ok());
  response_.RequestClose();
  const Response& response = Dispatch("GET /health HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(response.status(), StatusCode::kOk);
  EXPECT_EQ(response.headers(), "");
  EXPECT_FALSE(response.close_requested());
}

TEST(RouterAddTest, RejectsDuplicatesBadPathsAndEmptyHandlers) {
  Router router;
  Handler noop = [](const Request&, Response&) {};
  EXPECT_TRUE(router.Add(Method::kGet, "/a", noop).ok());
  EXPECT_EQ(router.Add(Method::kGet, "/a", noop).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(router.Add(Method::kPost, "/a", noop).ok());
  EXPECT_EQ(router.Add(Method::kGet, "a", noop).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.Add(Method::kGet, "/b", Handler()).code(), absl::StatusCode::kInvalidArgument);
}

TEST(RouterAddTest, ExplicitHeadHandlerWinsOverGet) {
  Router router;
  ASSERT_TRUE(
      router.Add(Method::kGet, "/r", [](const Request&, Response& r) { r.SetBody("get"); }).ok());
  ASSERT_TRUE(
      router.Add(Method::kHead, "/r", [](const Request&, Response& r) { r.SetBody("head"); }).ok());
  Request request;
  request.method = Method::kHead;
  request.path = "/r";
  Response response;
  router.Dispatch(request, response);
  EXPECT_EQ(response.body(), "head");
  request.method = Method::kTrace;
  router.Dispatch(request, response);
  EXPECT_NE(response.headers().find("Allow: GET, HEAD\r\n"), std::string_view::npos);
}

}  // namespace
}  // namespace corral::http
