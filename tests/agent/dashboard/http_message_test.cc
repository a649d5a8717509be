#include "agent/dashboard/http_message.h"

#include <gtest/gtest.h>

namespace corral::agent::dashboard {
namespace {

// What Chromium sends for the action button (trimmed of headers that do not matter here).
constexpr char kChromiumPost[] =
    "POST /api/action?name=web%201&do=restart HTTP/1.1\r\n"
    "Host: 127.0.0.1:40123\r\n"
    "Connection: keep-alive\r\n"
    "Content-Length: 0\r\n"
    "X-Corral-CSRF: 00ff\r\n"
    "Origin: http://127.0.0.1:40123\r\n"
    "Cookie: theme=dark; corral_session=abc123; other=1\r\n"
    "\r\n";

TEST(HttpMessageTest, ParsesWhatChromiumSends) {
  std::string text = kChromiumPost;
  ASSERT_EQ(HeadEnd(text), text.size());
  absl::StatusOr<HttpRequest> request = ParseRequestHead(text);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->path, "/api/action");
  EXPECT_EQ(request->query.at("name"), "web 1");
  EXPECT_EQ(request->query.at("do"), "restart");
  EXPECT_EQ(request->Header("x-corral-csrf"), "00ff");
  EXPECT_EQ(request->Header("origin"), "http://127.0.0.1:40123");
  EXPECT_EQ(request->Cookie("corral_session"), "abc123");
  EXPECT_EQ(request->Cookie("missing"), std::nullopt);
  EXPECT_EQ(ContentLength(*request).value(), 0u);
}

TEST(HttpMessageTest, IncompleteHeadHasNoEnd) {
  EXPECT_EQ(HeadEnd("GET / HTTP/1.1\r\nHost: x\r\n"), std::nullopt);
}

TEST(HttpMessageTest, RefusesMalformedHeads) {
  EXPECT_FALSE(ParseRequestHead("GET\r\n\r\n").ok());
  EXPECT_FALSE(ParseRequestHead("GET relative HTTP/1.1\r\n\r\n").ok());
  EXPECT_FALSE(ParseRequestHead("GET / SPDY/3\r\n\r\n").ok());
  EXPECT_FALSE(ParseRequestHead("GET / HTTP/1.1\r\nno colon here\r\n\r\n").ok());
  EXPECT_FALSE(ParseRequestHead("GET /%zz HTTP/1.1\r\n\r\n").ok());
}

TEST(HttpMessageTest, BoundsTheBody) {
  HttpRequest request;
  request.headers["content-length"] = "4097";
  EXPECT_EQ(ContentLength(request).status().code(), absl::StatusCode::kOutOfRange);
  request.headers["content-length"] = "-1";
  EXPECT_EQ(ContentLength(request).status().code(), absl::StatusCode::kInvalidArgument);
  request.headers["content-length"] = "27";
  EXPECT_EQ(ContentLength(request).value(), 27u);
}

TEST(HttpMessageTest, DecodesForms) {
  auto form = ParseForm("token=abc%2Bdef+g&empty=&bad=%4");
  EXPECT_EQ(form.at("token"), "abc+def g");
  EXPECT_EQ(form.at("empty"), "");
  EXPECT_FALSE(form.contains("bad"));  // a truncated escape is dropped, not half-decoded
}

TEST(HttpMessageTest, QuotesJson) {
  EXPECT_EQ(JsonQuote("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST(HttpMessageTest, ResponsesCarryTheSecurityHeaders) {
  std::string r = HttpResponse("200 OK", "text/plain", "hi");
  EXPECT_NE(r.find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_NE(r.find("Content-Security-Policy: default-src 'self'"), std::string::npos);
  EXPECT_NE(r.find("X-Content-Type-Options: nosniff"), std::string::npos);
  EXPECT_EQ(r.substr(r.size() - 6), "\r\n\r\nhi");
}

}  // namespace
}  // namespace corral::agent::dashboard
