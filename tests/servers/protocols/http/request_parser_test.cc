#include "servers/protocols/http/request_parser.h"

#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "servers/protocols/http/text_util.h"
#include "tests/servers/protocols/http/parser_driver.h"
#include "tests/servers/protocols/http/request_samples.h"

namespace corral::http {
namespace {

using test_support::DriveWhole;
using test_support::FeedAll;
using test_support::kAbsoluteForm;
using test_support::kBareLf;
using test_support::kChunkedPost;
using test_support::kCurlGet;
using test_support::kExpectPut;
using test_support::kFirefoxGet;
using test_support::kFormPost;
using test_support::kHttp10KeepAlive;
using test_support::kHttp10Plain;
using test_support::kOptionsStar;
using test_support::kPipelined;

TEST(RequestParserTest, CurlGet) {
  EXPECT_EQ(DriveWhole(kCurlGet),
            std::vector<std::string>{
                "request GET /index.html HTTP/1.1 path=/index.html query= keep_alive=1 "
                "expect_continue=0 chunked=0 length=- [Host: localhost:8080] [User-Agent: "
                "curl/7.88.1] [Accept: */*] body=\"\""});
}

TEST(RequestParserTest, FirefoxGetDecodesPathAndKeepsQueryRaw) {
  RequestParser parser;
  FeedResult result = parser.Feed(kFirefoxGet);
  ASSERT_EQ(result.status, ParseStatus::kComplete);
  EXPECT_EQ(result.consumed, kFirefoxGet.size());
  const Request& r = parser.request();
  EXPECT_EQ(r.method, Method::kGet);
  EXPECT_EQ(r.target, "/docs/Getting%20Started.html?lang=en&v=2");
  EXPECT_EQ(r.path, "/docs/Getting Started.html");
  EXPECT_EQ(r.query, "lang=en&v=2");
  EXPECT_EQ(r.headers.size(), 12u);
  EXPECT_EQ(r.FindHeader("accept-encoding"), "gzip, deflate, br");
  EXPECT_EQ(r.FindHeader("IF-NONE-MATCH"), "\"3f2a-5e1b\"");
  EXPECT_EQ(r.FindHeader("Cookie"), std::nullopt);
  EXPECT_TRUE(r.HasHeaderToken("connection", "KEEP-ALIVE"));
  EXPECT_TRUE(r.keep_alive);
}

TEST(RequestParserTest, FormPostStopsAfterHeadThenDeliversBody) {
  RequestParser parser;
  std::string_view head = kFormPost.substr(0, kFormPost.find("\r\n\r\n") + 4);
  FeedResult first = parser.Feed(kFormPost);
  EXPECT_EQ(first.status, ParseStatus::kHeadComplete);
  EXPECT_EQ(first.consumed, head.size());
  EXPECT_EQ(parser.request().content_length, 27u);
  EXPECT_EQ(parser.request().FindHeader("Content-Type"), "application/x-www-form-urlencoded");
  FeedResult second = parser.Feed(kFormPost.substr(first.consumed));
  EXPECT_EQ(second.status, ParseStatus::kComplete);
  EXPECT_EQ(second.consumed, 27u);
  EXPECT_EQ(parser.request().method, Method::kPost);
  EXPECT_EQ(parser.request().body, "user=ada&password=lovelace1");
  // Feeding after completion consumes nothing until Reset().
  EXPECT_EQ(parser.Feed("GET").consumed, 0u);
}

TEST(RequestParserTest, ChunkedBodyIsDechunkedAndTrailersDiscarded) {
  RequestParser parser;
  std::size_t consumed = 0;
  ASSERT_EQ(FeedAll(parser, kChunkedPost, &consumed), ParseStatus::kComplete);
  EXPECT_EQ(consumed, kChunkedPost.size());
  const Request& r = parser.request();
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.content_length, std::nullopt);
  EXPECT_EQ(r.body, "MozillaDeveloperNetwork");
  EXPECT_EQ(r.FindHeader("Expires"), std::nullopt);
  EXPECT_EQ(r.FindHeader("X-Checksum"), std::nullopt);
  EXPECT_EQ(r.headers.size(), 3u);
}

TEST(RequestParserTest, ChunkSizesAreHexAndMayHaveLeadingZeros) {
  RequestParser parser;
  std::string data =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0000A\r\n0123456789\r\n1f\r\nabcdefghijklmnopqrstuvwxyz01234\r\n0\r\n\r\n";
  std::size_t consumed = 0;
  ASSERT_EQ(FeedAll(parser, data, &consumed), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().body, "0123456789abcdefghijklmnopqrstuvwxyz01234");
}

TEST(RequestParserTest, TransferEncodingIsCaseInsensitiveAndMayBeAList) {
  RequestParser parser;
  std::string data =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,CHUNKED\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n";
  std::size_t consumed = 0;
  ASSERT_EQ(FeedAll(parser, data, &consumed), ParseStatus::kComplete);
  EXPECT_EQ(parser.request().body, "abc");
}

TEST(RequestParserTest, Http10KeepAliveOnlyWhenAsked) {
  RequestParser parser;
  ASSERT_EQ(parser.Feed(kHttp10KeepAlive).status, ParseStatus::kComplete);
  EXPECT_EQ(parser.request().version, Version::kHttp10);
  EXPECT_TRUE(parser.request().keep_alive);
  parser.Reset();
  ASSERT_EQ(parser.Feed(kHttp10Plain).status, ParseStatus::kComplete);
  EXPECT_EQ(parser.request().version, Version::kHttp10);
  EXPECT_FALSE(parser.request().keep_alive);
  EXPECT_TRUE(parser.request().headers.empty());  // no Host needed in 1.0
}

TEST(RequestParserTest, KeepAliveDecision) {
  struct Case {
    std::string_view request;
    bool keep_alive;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", true},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
  };
  for (const Case& c : cases) {
    RequestParser parser;
    ASSERT_EQ(parser.Feed(c.request).status, ParseStatus::kComplete) << c.request;
    EXPECT_EQ(parser.request().keep_alive, c.keep_alive) << c.request;
  }
}

TEST(RequestParserTest, ExpectContinueIsReportedAtHeadComplete) {
  RequestParser parser;
  FeedResult result = parser.Feed(kExpectPut);
  ASSERT_EQ(result.status, ParseStatus::kHeadComplete);
  EXPECT_TRUE(parser.request().expect_continue);
  EXPECT_EQ(parser.request().method, Method::kPut);
  ASSERT_EQ(parser.Feed(kExpectPut.substr(result.consumed)).status, ParseStatus::kComplete);
  EXPECT_EQ(parser.request().body, "%PDF-1.4\n\n");
}

TEST(RequestParserTest, ExpectContinueIgnoredForHttp10AndOtherExpectations) {
  RequestParser parser;
  ASSERT_EQ(
      parser.Feed("PUT /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n").status,
      ParseStatus::kHeadComplete);
  EXPECT_FALSE(parser.request().expect_continue);
  parser.Reset();
  ASSERT_EQ(parser.Feed("GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n").status,
            ParseStatus::kComplete);
  EXPECT_FALSE(parser.request().expect_continue);
}

TEST(RequestParserTest, PipelinedRequestsReportConsumedBytes) {
  RequestParser parser;
  std::string_view pending = kPipelined;
  std::vector<std::string> paths;
  while (!pending.empty()) {
    FeedResult result = parser.Feed(pending);
    pending.remove_prefix(result.consumed);
    if (result.status == ParseStatus::kHeadComplete) continue;
    ASSERT_EQ(result.status, ParseStatus::kComplete);
    paths.push_back(std::string(parser.request().path));
    if (paths.size() == 1) {
      EXPECT_EQ(result.consumed, std::string_view("GET /a HTTP/1.1\r\nHost: x\r\n\r\n").size());
    }
    if (paths.size() == 3) {
      EXPECT_FALSE(parser.request().keep_alive);
    }
    parser.Reset();
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/a", "/b", "/c"}));
  EXPECT_FALSE(parser.started());
}

TEST(RequestParserTest, BareLfLinesAndLeadingEmptyLinesAreAccepted) {
  RequestParser parser;
  ASSERT_EQ(parser.Feed(kBareLf).status, ParseStatus::kComplete);
  EXPECT_EQ(parser.request().path, "/lf");
  EXPECT_EQ(parser.request().FindHeader("Host"), "nc");
  parser.Reset();
  FeedResult result = parser.Feed("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(result.status, ParseStatus::kComplete);
  EXPECT_EQ(result.consumed, 31u);
}

TEST(RequestParserTest, StartedIgnoresLeadingEmptyLines) {
  RequestParser parser;
  EXPECT_FALSE(parser.started());
  parser.Feed("\r\n");
  EXPECT_FALSE(parser.started());
  parser.Feed("G");
  EXPECT_TRUE(parser.started());
}

TEST(RequestParserTest, AbsoluteFormAndAsteriskForm) {
  RequestParser parser;
  ASSERT_EQ(parser.Feed(kAbsoluteForm).status, ParseStatus::kComplete);
  EXPECT_EQ(parser.request().path, "/pub/WWW/TheProject.html");
  EXPECT_EQ(parser.request().query, "x=1");
  parser.Reset();
  ASSERT_EQ(parser.Feed(kOptionsStar).status, ParseStatus::kComplete);
  EXPECT_EQ(parser.request().method, Method::kOptions);
  EXPECT_EQ(parser.request().target, "*");
  EXPECT_EQ(parser.request().path, "");
  parser.Reset();
  ASSERT_EQ(parser.Feed("CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n").status,
            ParseStatus::kComplete);
  EXPECT_EQ(parser.request().method, Method::kConnect);
  EXPECT_EQ(parser.request().path, "");
}

TEST(RequestParserTest, HeaderValuesAreTrimmedAndMayBeEmpty) {
  RequestParser parser;
  ASSERT_EQ(parser
                .Feed("GET / HTTP/1.1\r\nHost:a\r\nX-Empty:\r\nX-Pad: \t v a l \t\r\n"
                      "X-Obs: caf\xc3\xa9\r\n\r\n")
                .status,
            ParseStatus::kComplete);
  EXPECT_EQ(parser.request().FindHeader("host"), "a");
  EXPECT_EQ(parser.request().FindHeader("x-empty"), "");
  EXPECT_EQ(parser.request().FindHeader("x-pad"), "v a l");
  EXPECT_EQ(parser.request().FindHeader("x-obs"), "caf\xc3\xa9");
}

TEST(RequestParserTest, HostFormsThatAreAccepted) {
  for (std::string_view host : {"localhost", "127.0.0.1:8080", "[::1]:8080",
                                "xn--bcher-kva.example", "my_host.local", ""}) {
    RequestParser parser;
    std::string request = "GET / HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n";
    ASSERT_EQ(parser.Feed(request).status, ParseStatus::kComplete) << host;
    EXPECT_EQ(parser.request().FindHeader("host"), host);
  }
}

TEST(RequestParserTest, DuplicateIdenticalContentLengthIsOneLength) {
  RequestParser parser;
  std::size_t consumed = 0;
  ASSERT_EQ(FeedAll(parser,
                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n"
                    "\r\nxyz",
                    &consumed),
            ParseStatus::kComplete);
  EXPECT_EQ(parser.request().content_length, 3u);
  EXPECT_EQ(parser.request().body, "xyz");
}

TEST(RequestParserTest, ZeroContentLengthCompletesAtHead) {
  RequestParser parser;
  constexpr std::string_view kRequest = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
  FeedResult result = parser.Feed(std::string(kRequest) + "GET");
  EXPECT_EQ(result.status, ParseStatus::kComplete);
  EXPECT_EQ(result.consumed, kRequest.size());
  EXPECT_EQ(parser.request().content_length, 0u);
}

TEST(RequestParserTest, ResetReusesTheParserForTheNextRequest) {
  RequestParser parser;
  ASSERT_EQ(parser.Feed("GET / HTTP/1.1\r\nHost: a\r\nBroken\r\n\r\n").status, ParseStatus::kError);
  EXPECT_EQ(parser.Feed(kCurlGet).status, ParseStatus::kError);  // sticky until Reset
  parser.Reset();
  ASSERT_EQ(parser.Feed(kCurlGet).status, ParseStatus::kComplete);
  EXPECT_EQ(parser.request().path, "/index.html");
  EXPECT_EQ(parser.request().headers.size(), 3u);
}

}  // namespace
}  // namespace corral::http
