#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "servers/protocols/http/request_parser.h"
#include "servers/protocols/http/text_util.h"
#include "tests/servers/protocols/http/parser_driver.h"

namespace corral::http {
namespace {

using test_support::DriveByteByByte;
using test_support::DriveWhole;
using test_support::ErrorOf;
using test_support::Escape;
using test_support::FeedAll;

using std::string_view_literals::operator""sv;

TEST(RequestParserErrorTest, MalformedRequestsAre400) {
  const std::string_view cases[] = {
      "GET / HTTP/1.1\r\n\r\n",                                  // missing Host
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",            // duplicate Host
      "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",            // duplicate, even if equal
      "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",                     // space in Host
      "GET / HTTP/1.1\r\nHost: evil.example/path\r\n\r\n",       // path in Host
      "GET / HTTP/1.1\r\nHost: user@evil.example\r\n\r\n",       // userinfo in Host
      "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",                      // double space
      "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",                      // trailing space
      "GET /\r\nHost: a\r\n\r\n",                                // HTTP/0.9 style
      "GET / http/1.1\r\nHost: a\r\n\r\n",                       // version is case-sensitive
      "GET / HTTP/1.1x\r\nHost: a\r\n\r\n",                      // version junk
      "GET / HTTP/11\r\nHost: a\r\n\r\n",                        // not DIGIT.DIGIT
      "G@T / HTTP/1.1\r\nHost: a\r\n\r\n",                       // method not a token
      "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n",                  // control in target
      "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",            // raw UTF-8 in target
      "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n",                     // authority-form for GET
      "GET * HTTP/1.1\r\nHost: a\r\n\r\n",                       // asterisk-form for GET
      "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n",                   // origin-form for CONNECT
      "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n",                    // bad percent escape
      "GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n",                  // encoded NUL
      "GET /a%2Fb HTTP/1.1\r\nHost: a\r\n\r\n",                  // encoded slash
      "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n",                 // fragment
      "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n",  // obs-fold
      "GET / HTTP/1.1\r\n Host: a\r\n\r\n",                      // space before first field
      "GET / HTTP/1.1\r\nHost : a\r\n\r\n",                      // space before colon
      "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",            // no colon
      "GET / HTTP/1.1\r\nHost: a\r\n: empty-name\r\n\r\n",       // empty name
      "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",            // bare CR in value
      "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"sv,          // NUL in value
      "GET / HTTP/1.1\r\nHost: a\r\nX: v\r\r\n\r\n",             // CR CR LF
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
      "Transfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
  };
  for (std::string_view c : cases) {
    EXPECT_EQ(ErrorOf(c), StatusCode::kBadRequest) << Escape(c);
  }
}

TEST(RequestParserErrorTest, MalformedChunkedFramingIs400) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string_view bodies[] = {
      "\r\n",                         // no size
      "x\r\n",                        // not hex
      "-1\r\n",                       // sign
      ";ext\r\n",                     // extension without size
      "3\nabc\r\n0\r\n\r\n",          // bare LF after size
      "3\r\nabcd\r\n0\r\n\r\n",       // data longer than the size
      "3\r\nabc\n0\r\n\r\n",          // bare LF after data
      "3\r\nab",                      // (incomplete; checked below)
      "3;a\x01\r\nabc\r\n0\r\n\r\n",  // control byte in extension
      "0\r\nX: 1\n\r\n",              // bare LF in trailer
      "0\r\nX: \x7f\r\n\r\n",         // DEL in trailer
      "0\r\n\rx",                     // CR not followed by LF at the end
  };
  for (std::string_view body : bodies) {
    std::string data = head + std::string(body);
    RequestParser parser;
    std::size_t consumed = 0;
    ParseStatus status = FeedAll(parser, data, &consumed);
    if (body == "3\r\nab") {
      EXPECT_EQ(status, ParseStatus::kNeedMore);
      continue;
    }
    ASSERT_EQ(status, ParseStatus::kError) << Escape(body);
    EXPECT_EQ(parser.error().status, StatusCode::kBadRequest) << Escape(body);
    EXPECT_FALSE(parser.request().keep_alive);
  }
}

// Issue 19: chunk-size [ BWS ";" chunk-ext ] CRLF, nothing looser. Each of these is a size
// line some parser reads differently ("5 5" was read as 5 here), so each must be refused.
TEST(RequestParserErrorTest, LenientChunkSizeLinesAre400) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string_view bodies[] = {
      "5 5\r\nhello\r\n0\r\n\r\n",                // a space inside the size
      "5\t5\r\nhello\r\n0\r\n\r\n",               // a tab inside the size
      "5 \r\nhello\r\n0\r\n\r\n",                 // whitespace without an extension
      "5\t\r\nhello\r\n0\r\n\r\n",                // the same with a tab
      "5 x\r\nhello\r\n0\r\n\r\n",                // junk after whitespace
      "5 =1\r\nhello\r\n0\r\n\r\n",               // an extension without its ';'
      "0x5\r\nhello\r\n0\r\n\r\n",                // a C hex prefix
      "5_5\r\nhello\r\n0\r\n\r\n",                // a digit separator
      "+5\r\nhello\r\n0\r\n\r\n",                 // a sign
      " 5\r\nhello\r\n0\r\n\r\n",                 // leading whitespace
      "5\r\nhello\r\n0 \r\n\r\n",                 // whitespace after the last chunk's size
      "00000000000000005\r\nhello\r\n0\r\n\r\n",  // 17 digits
  };
  for (std::string_view body : bodies) {
    const std::string data = head + std::string(body);
    EXPECT_EQ(ErrorOf(data), StatusCode::kBadRequest) << Escape(body);
    EXPECT_EQ(DriveByteByByte(data).back(), "error 400") << Escape(body);
  }
}

TEST(RequestParserErrorTest, ChunkSizesCannotOverflow) {
  // With no body limit to stop it, 17 digits would wrap 2^64 to 0: a "last chunk".
  ParserLimits limits;
  limits.max_body_bytes = std::numeric_limits<std::uint64_t>::max();
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(ErrorOf(head + "10000000000000000\r\n\r\n", limits), StatusCode::kBadRequest);
  EXPECT_EQ(ErrorOf(head + "1" + std::string(4000, '0') + "\r\n\r\n", limits),
            StatusCode::kBadRequest);
}

TEST(RequestParserErrorTest, StrictChunkSizeLinesStillAcceptExtensions) {
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::string_view body :
       {"5;ext\r\nhello\r\n0\r\n\r\n", "5 ;ext=1\r\nhello\r\n0\r\n\r\n",
        "5\t \t;a=\"b c\"\r\nhello\r\n0;last\r\n\r\n", "0000000000000005\r\nhello\r\n0\r\n\r\n"}) {
    const std::string data = head + std::string(body);
    const std::vector<std::string> events = DriveWhole(data);
    ASSERT_EQ(events.size(), 2u) << Escape(body);
    EXPECT_NE(events[1].find("body=\"hello\""), std::string::npos) << events[1];
    EXPECT_EQ(DriveByteByByte(data), events) << Escape(body);
  }
}

// A head must end all its lines the same way. A bare LF inside a CRLF head is what a front
// end that only splits at CRLF reads as part of a field value, while this parser would see
// a new field (here a Transfer-Encoding the front end never saw): request smuggling.
TEST(RequestParserErrorTest, MixedLineEndingsAre400) {
  const std::string_view cases[] = {
      "POST / HTTP/1.1\r\nHost: a\r\nX: a\nTransfer-Encoding: chunked\r\n"
      "Content-Length: 0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\n\n",  // the final empty line
      "GET / HTTP/1.1\nHost: a\r\n\n",    // a CRLF line in a bare-LF head
      "GET / HTTP/1.1\nHost: a\n\r\n",
  };
  for (std::string_view c : cases) {
    EXPECT_EQ(ErrorOf(c), StatusCode::kBadRequest) << Escape(c);
    EXPECT_EQ(DriveByteByByte(c).back(), "error 400") << Escape(c);
  }
}

TEST(RequestParserErrorTest, UnknownMethodIs501) {
  EXPECT_EQ(ErrorOf("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n"), StatusCode::kNotImplemented);
  EXPECT_EQ(ErrorOf("get / HTTP/1.1\r\nHost: a\r\n\r\n"), StatusCode::kNotImplemented);
  EXPECT_EQ(ErrorOf("PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n"), StatusCode::kNotImplemented);
}

TEST(RequestParserErrorTest, UnknownTransferCodingIs501) {
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            StatusCode::kNotImplemented);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n"),
            StatusCode::kNotImplemented);
}

TEST(RequestParserErrorTest, OtherHttpVersionsAre505) {
  EXPECT_EQ(ErrorOf("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), StatusCode::kHttpVersionNotSupported);
  EXPECT_EQ(ErrorOf("GET / HTTP/0.9\r\n\r\n"), StatusCode::kHttpVersionNotSupported);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), StatusCode::kHttpVersionNotSupported);
}

TEST(RequestParserLimitTest, RequestLineLimitIs414AndExact) {
  ParserLimits limits;
  limits.max_request_line_bytes = 30;
  // "GET /" + path + " HTTP/1.1" is exactly 30 bytes: accepted, with CRLF or bare LF.
  std::string exact = "GET /" + std::string(16, 'a') + " HTTP/1.1";
  ASSERT_EQ(exact.size(), 30u);
  for (std::string_view eol : {"\r\n", "\n"}) {
    std::string request = StrCat(exact, eol, "Host: a", eol, eol);
    EXPECT_EQ(DriveWhole(request, limits).size(), 1u);
    EXPECT_EQ(DriveByteByByte(request, limits), DriveWhole(request, limits));
    EXPECT_EQ(DriveWhole(request, limits)[0].substr(0, 7), "request");
  }
  std::string too_long = "GET /" + std::string(17, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_EQ(ErrorOf(too_long, limits), StatusCode::kUriTooLong);
  EXPECT_EQ(DriveByteByByte(too_long, limits), std::vector<std::string>{"error 414"});
  // Detected before the line ends: a client streaming an endless line is cut off.
  RequestParser parser(limits);
  EXPECT_EQ(parser.Feed("GET /" + std::string(100, 'a')).status, ParseStatus::kError);
  EXPECT_EQ(parser.error().status, StatusCode::kUriTooLong);
}

TEST(RequestParserLimitTest, DefaultRequestLineLimitIs8KiB) {
  std::string ok = "GET /" + std::string(8192 - 14, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_EQ(DriveWhole(ok).size(), 1u);
  std::string too_long = "GET /" + std::string(8192 - 13, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_EQ(ErrorOf(too_long), StatusCode::kUriTooLong);
}

TEST(RequestParserLimitTest, HeaderSectionSizeIs431) {
  ParserLimits limits;
  limits.max_header_bytes = 40;
  // "Host: a\r\n" (9) + "X: " + 26 + "\r\n" (31) = 40, then the final "\r\n" makes 42.
  std::string request = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(26, 'v') + "\r\n\r\n";
  EXPECT_EQ(ErrorOf(request, limits), StatusCode::kRequestHeaderFieldsTooLarge);
  limits.max_header_bytes = 42;
  EXPECT_EQ(DriveWhole(request, limits).size(), 1u);
  EXPECT_EQ(DriveByteByByte(request, limits), DriveWhole(request, limits));
}

TEST(RequestParserLimitTest, HeaderCountIs431) {
  ParserLimits limits;
  limits.max_header_count = 3;
  EXPECT_EQ(DriveWhole("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 2\r\n\r\n", limits).size(), 1u);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 2\r\nD: 3\r\n\r\n", limits),
            StatusCode::kRequestHeaderFieldsTooLarge);
}

TEST(RequestParserLimitTest, DefaultHeaderCountIs100) {
  std::string request = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 99; ++i) StrAppend(&request, "X-", i, ": v\r\n");
  EXPECT_EQ(DriveWhole(request + "\r\n").size(), 1u);
  EXPECT_EQ(ErrorOf(request + "One-Too-Many: v\r\n\r\n"), StatusCode::kRequestHeaderFieldsTooLarge);
}

TEST(RequestParserLimitTest, BodyLimitIs413ForContentLengthBeforeTheBody) {
  ParserLimits limits;
  limits.max_body_bytes = 10;
  RequestParser parser(limits);
  FeedResult result = parser.Feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n");
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(parser.error().status, StatusCode::kContentTooLarge);
  parser.Reset();
  std::size_t consumed = 0;
  EXPECT_EQ(FeedAll(parser, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789",
                    &consumed),
            ParseStatus::kComplete);
}

TEST(RequestParserLimitTest, BodyLimitIs413ForChunkedTotals) {
  ParserLimits limits;
  limits.max_body_bytes = 10;
  const std::string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(DriveWhole(head + "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", limits).back().substr(0, 7),
            "request");
  EXPECT_EQ(ErrorOf(head + "5\r\n01234\r\n6\r\n", limits), StatusCode::kContentTooLarge);
  // A huge size is refused at its first excessive digit, long before it could overflow.
  EXPECT_EQ(ErrorOf(head + "ffffffffffffffffffffffff\r\n", limits), StatusCode::kContentTooLarge);
  EXPECT_EQ(DriveByteByByte(head + "5\r\n01234\r\n6\r\n", limits),
            (std::vector<std::string>{DriveWhole(head, limits)[0], "error 413"}));
}

TEST(RequestParserLimitTest, TrailerSectionIsBoundedBy431) {
  ParserLimits limits;
  limits.max_header_bytes = 64;
  std::string request = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" +
                        std::string("X: ") + std::string(100, 'v') + "\r\n\r\n";
  EXPECT_EQ(ErrorOf(request, limits), StatusCode::kRequestHeaderFieldsTooLarge);
}

TEST(RequestParserLimitTest, EndlessEmptyLinesAreCut) {
  ParserLimits limits;
  limits.max_request_line_bytes = 16;
  EXPECT_EQ(ErrorOf(std::string(40, '\n'), limits), StatusCode::kBadRequest);
}

}  // namespace
}  // namespace corral::http
