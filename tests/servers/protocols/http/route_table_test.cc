#include "servers/protocols/http/route_table.h"

#include <string>

#include "gtest/gtest.h"
#include "servers/protocols/http/request_parser.h"

namespace corral::http {
namespace {

// Each route answers its own name and the parameters it saw, so a test sees which one ran.
RouteHandler Named(std::string name) {
  return [name](const RouteRequest& request, Response& response) {
    std::string body = name;
    for (const char* param : {"id", "name", "rest", "file"}) {
      if (std::optional<std::string_view> value = request.Param(param)) {
        body += " " + std::string(param) + "=" + std::string(*value);
      }
    }
    response.SetBody(body);
  };
}

class RouteTableTest : public ::testing::Test {
 protected:
  void Add(std::string_view method, std::string_view pattern) {
    absl::Status status =
        table_.Add(method, pattern, Named(std::string(method) + " " + std::string(pattern)));
    ASSERT_TRUE(status.ok()) << status;
  }

  // Parses a real request, so the table sees the decoded path a connection would hand it.
  // nullopt when no route matched the path.
  std::optional<std::string> Dispatch(std::string_view method, std::string_view target,
                                      std::string_view extra = "", std::string_view body = "") {
    std::string raw = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: a\r\n" +
                      std::string(extra) + "\r\n" + std::string(body);
    parser_.Reset();
    response_.Reset();
    std::size_t consumed = 0;
    FeedResult result;
    do {
      result = parser_.Feed(std::string_view(raw).substr(consumed));
      consumed += result.consumed;
    } while (result.status == ParseStatus::kHeadComplete);
    EXPECT_EQ(result.status, ParseStatus::kComplete) << raw;
    if (!table_.Dispatch(parser_.request(), response_)) return std::nullopt;
    return std::string(response_.body());
  }

  RouteTable table_;
  RequestParser parser_;
  Response response_;
};

TEST_F(RouteTableTest, MatchesLiteralsParamsAndRest) {
  Add("GET", "/hello");
  Add("GET", "/users/{id}");
  Add("GET", "/files/{rest...}");
  Add("GET", "/");
  EXPECT_EQ(Dispatch("GET", "/hello"), "GET /hello");
  EXPECT_EQ(Dispatch("GET", "/users/42"), "GET /users/{id} id=42");
  EXPECT_EQ(Dispatch("GET", "/users/J%C3%BC%20rg"), "GET /users/{id} id=J\xC3\xBC rg");
  EXPECT_EQ(Dispatch("GET", "/files/a/b/c.txt"), "GET /files/{rest...} rest=a/b/c.txt");
  EXPECT_EQ(Dispatch("GET", "/files/"), "GET /files/{rest...} rest=");
  EXPECT_EQ(Dispatch("GET", "/"), "GET /");
  EXPECT_EQ(Dispatch("GET", "/hello/"), std::nullopt);  // trailing slash is another path
  EXPECT_EQ(Dispatch("GET", "/users"), std::nullopt);   // {id} needs a segment
  EXPECT_EQ(Dispatch("GET", "/users/"), std::nullopt);  // a non-empty one
  EXPECT_EQ(Dispatch("GET", "/users/1/x"), std::nullopt);
  EXPECT_EQ(Dispatch("GET", "/files"), std::nullopt);  // {rest...} follows a '/'
  EXPECT_EQ(Dispatch("GET", "/HELLO"), std::nullopt);
  EXPECT_EQ(Dispatch("GET", "/other"), std::nullopt);
}

TEST_F(RouteTableTest, MoreSpecificSegmentsWinAndBacktrack) {
  Add("GET", "/users/me");
  Add("GET", "/users/{id}");
  Add("GET", "/users/{id}/posts");
  Add("GET", "/{rest...}");
  EXPECT_EQ(Dispatch("GET", "/users/me"), "GET /users/me");
  EXPECT_EQ(Dispatch("GET", "/users/you"), "GET /users/{id} id=you");
  // "me" matches the literal first, which has no "posts" below it: back to {id}.
  EXPECT_EQ(Dispatch("GET", "/users/me/posts"), "GET /users/{id}/posts id=me");
  // Neither "me" nor {id} leads on to "x": back to the root's {rest...}.
  EXPECT_EQ(Dispatch("GET", "/users/me/x/y"), "GET /{rest...} rest=users/me/x/y");
  EXPECT_EQ(Dispatch("GET", "/anything/else"), "GET /{rest...} rest=anything/else");
  Add("GET", "/users/me/{rest...}");  // now the literal branch goes on: it wins
  EXPECT_EQ(Dispatch("GET", "/users/me/posts"), "GET /users/me/{rest...} rest=posts");
  EXPECT_EQ(Dispatch("GET", "/"), "GET /{rest...} rest=");
}

TEST_F(RouteTableTest, MethodsAnyAndHead) {
  Add("GET", "/item/{id}");
  Add("DELETE", "/item/{id}");
  Add("*", "/any");
  Add("POST", "/any");
  EXPECT_EQ(Dispatch("GET", "/item/1"), "GET /item/{id} id=1");
  EXPECT_EQ(Dispatch("HEAD", "/item/1"), "GET /item/{id} id=1");
  EXPECT_EQ(Dispatch("DELETE", "/item/1"), "DELETE /item/{id} id=1");
  EXPECT_EQ(Dispatch("PATCH", "/any"), "* /any");
  EXPECT_EQ(Dispatch("POST", "/any"), "POST /any");

  ASSERT_TRUE(Dispatch("PUT", "/item/1").has_value());
  EXPECT_EQ(response_.status(), StatusCode::kMethodNotAllowed);
  EXPECT_NE(response_.headers().find("Allow: GET, HEAD, DELETE\r\n"), std::string_view::npos)
      << response_.headers();
}

TEST_F(RouteTableTest, MethodMismatchTriesLessSpecificRoutesThenUnitesTheirAllow) {
  Add("POST", "/jobs/run");
  Add("GET", "/jobs/{name}");
  Add("PUT", "/jobs/{rest...}");
  // GET /jobs/run: the literal has no GET, {name} has.
  EXPECT_EQ(Dispatch("GET", "/jobs/run"), "GET /jobs/{name} name=run");
  ASSERT_TRUE(Dispatch("DELETE", "/jobs/run").has_value());
  EXPECT_EQ(response_.status(), StatusCode::kMethodNotAllowed);
  EXPECT_NE(response_.headers().find("Allow: GET, HEAD, POST, PUT\r\n"), std::string_view::npos)
      << response_.headers();
}

TEST_F(RouteTableTest, RefusesConflictsNamingTheRouteTaken) {
  Add("GET", "/u/{id}");
  Add("*", "/u/{id}");
  absl::Status same_shape = table_.Add("GET", "/u/{name}", Named("x"));
  EXPECT_EQ(same_shape.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(same_shape.message(), "route GET /u/{name}: conflicts with route GET /u/{id}");
  absl::Status any = table_.Add("*", "/u/{x}", Named("x"));
  EXPECT_EQ(any.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(table_.Add("POST", "/u/{name}", Named("x")).ok());  // another method: fine
  EXPECT_TRUE(table_.Add("GET", "/u/me", Named("x")).ok());       // another shape: fine
  EXPECT_EQ(table_.size(), 4u);
}

TEST_F(RouteTableTest, RefusesBadInputSayingWhy) {
  struct Case {
    const char* method;
    const char* pattern;
    const char* message;
  };
  const Case cases[] = {
      {"get", "/a", "route get /a: unknown method"},
      {"BREW", "/a", "route BREW /a: unknown method"},
      {"CONNECT", "/a", "route CONNECT /a: a CONNECT request has no path"},
      {"GET", "a", "route GET a: a pattern starts with '/'"},
      {"GET", "/a/{b", "route GET /a/{b: segment \"{b\": a parameter is a whole segment"},
      {"GET", "/healthz", "route GET /healthz: the server answers /healthz itself"},
      {"GET", "/echo", "route GET /echo: the server answers /echo itself"},
      {"GET", "/_corral/x", "route GET /_corral/x: paths under /_corral/ belong to the server"},
  };
  for (const Case& c : cases) {
    absl::Status status = table_.Add(c.method, c.pattern, Named("x"));
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.pattern;
    EXPECT_EQ(std::string(status.message()).rfind(c.message, 0), 0u) << status;
  }
  EXPECT_EQ(table_.Add("GET", "/a", nullptr).message(), "route GET /a: no function");
  EXPECT_TRUE(table_.empty());
}

TEST_F(RouteTableTest, RequestViewGivesQueryHeadersAndBody) {
  ASSERT_TRUE(table_
                  .Add("POST", "/v/{id}",
                       [](const RouteRequest& request, Response& response) {
                         response.SetBody(std::string(request.method()) + "|" +
                                          std::string(request.path()) + "|" +
                                          std::string(request.query()) + "|" +
                                          std::string(request.QueryParam("q").value_or("-")) + "|" +
                                          std::string(request.Header("x-token").value_or("-")) +
                                          "|" + std::string(request.body()));
                       })
                  .ok());
  EXPECT_EQ(Dispatch("POST", "/v/%7E1?q=a+b%21&r", "X-Token: t1\r\nContent-Length: 3\r\n", "xyz"),
            "POST|/v/~1|q=a+b%21&r|a b!|t1|xyz");
}

TEST_F(RouteTableTest, EmptyTableAndPathlessRequestsMatchNothing) {
  EXPECT_EQ(Dispatch("GET", "/"), std::nullopt);
  Add("GET", "/{rest...}");
  EXPECT_EQ(Dispatch("OPTIONS", "*"), std::nullopt);
}

}  // namespace
}  // namespace corral::http
