#include "servers/protocols/http/request_parser.h"

#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

using std::string_view_literals::operator""sv;

// Request bytes made printable for failure messages.
std::string Escape(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      static constexpr char kDigits[] = "0123456789abcdef";
      out += "\\x";
      out += kDigits[u >> 4];
      out += kDigits[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

// One line per event a connection would see, so whole-buffer, byte-by-byte and split feeds
// can be compared with a single EXPECT_EQ and a failure shows what differed.
std::string Summarize(const Request& r) {
  std::string s =
      StrCat(r.method_token, " ", r.target, " HTTP/", r.version == Version::kHttp11 ? "1.1" : "1.0",
             " path=", r.path, " query=", r.query, " keep_alive=", static_cast<int>(r.keep_alive),
             " expect_continue=", static_cast<int>(r.expect_continue),
             " chunked=", static_cast<int>(r.chunked),
             " length=", r.content_length ? StrCat(*r.content_length) : "-");
  for (const Header& h : r.headers) StrAppend(&s, " [", h.name, ": ", h.value, "]");
  StrAppend(&s, " body=\"", Escape(r.body), "\"");
  return s;
}

// Simulates a connection: the data arrives in chunks cut at `cuts` (ascending offsets); each
// chunk is fed, pipelined leftovers are fed after Reset(). Returns the events.
std::vector<std::string> Drive(std::string_view data, const std::vector<std::size_t>& cuts,
                               const ParserLimits& limits = ParserLimits()) {
  RequestParser parser(limits);
  std::vector<std::string> events;
  std::size_t start = 0;
  for (std::size_t c = 0; c <= cuts.size(); ++c) {
    std::size_t end = c < cuts.size() ? cuts[c] : data.size();
    std::string chunk(data.substr(start, end - start));  // a fresh buffer, as read() gives
    start = end;
    std::string_view pending = chunk;
    while (!pending.empty()) {
      FeedResult result = parser.Feed(pending);
      EXPECT_LE(result.consumed, pending.size());
      pending.remove_prefix(result.consumed);
      if (result.status == ParseStatus::kNeedMore) {
        EXPECT_TRUE(pending.empty());
      } else if (result.status == ParseStatus::kHeadComplete) {
        events.push_back(StrCat("head ", Summarize(parser.request())));
      } else if (result.status == ParseStatus::kComplete) {
        events.push_back(StrCat("request ", Summarize(parser.request())));
        parser.Reset();
      } else {
        events.push_back(StrCat("error ", static_cast<int>(parser.error().status)));
        return events;
      }
    }
  }
  if (parser.started()) events.push_back("incomplete");
  return events;
}

std::vector<std::string> DriveWhole(std::string_view data,
                                    const ParserLimits& limits = ParserLimits()) {
  return Drive(data, {}, limits);
}

std::vector<std::string> DriveByteByByte(std::string_view data,
                                         const ParserLimits& limits = ParserLimits()) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < data.size(); ++i) cuts.push_back(i);
  return Drive(data, cuts, limits);
}

// Feeds `data` in one call (continuing past kHeadComplete) and returns the final status.
ParseStatus FeedAll(RequestParser& parser, std::string_view data, std::size_t* consumed) {
  *consumed = 0;
  while (true) {
    FeedResult result = parser.Feed(data.substr(*consumed));
    *consumed += result.consumed;
    if (result.status != ParseStatus::kHeadComplete) return result.status;
  }
}

StatusCode ErrorOf(std::string_view data, const ParserLimits& limits = ParserLimits()) {
  RequestParser parser(limits);
  std::size_t consumed = 0;
  ParseStatus status = FeedAll(parser, data, &consumed);
  EXPECT_EQ(status, ParseStatus::kError) << Escape(data);
  return parser.error().status;
}

// --- Real request samples -----------------------------------------------------------------

constexpr std::string_view kCurlGet =
    "GET /index.html HTTP/1.1\r\n"
    "Host: localhost:8080\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "\r\n";

constexpr std::string_view kFirefoxGet =
    "GET /docs/Getting%20Started.html?lang=en&v=2 HTTP/1.1\r\n"
    "Host: corral.example:8080\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "Sec-Fetch-Mode: navigate\r\n"
    "Sec-Fetch-Site: none\r\n"
    "Sec-Fetch-User: ?1\r\n"
    "If-None-Match: \"3f2a-5e1b\"\r\n"
    "\r\n";

constexpr std::string_view kFormPost =
    "POST /api/login HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "Content-Length: 27\r\n"
    "\r\n"
    "user=ada&password=lovelace1";

constexpr std::string_view kChunkedPost =
    "POST /upload HTTP/1.1\r\n"
    "Host: localhost\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "7\r\n"
    "Mozilla\r\n"
    "9;name=value;quoted=\"a b\"\r\n"
    "Developer\r\n"
    "7 ; ext\r\n"
    "Network\r\n"
    "0\r\n"
    "Expires: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
    "X-Checksum: 1234\r\n"
    "\r\n";

constexpr std::string_view kHttp10KeepAlive =
    "GET /status HTTP/1.0\r\n"
    "Connection: Keep-Alive\r\n"
    "User-Agent: ApacheBench/2.3\r\n"
    "\r\n";

constexpr std::string_view kHttp10Plain = "GET / HTTP/1.0\r\n\r\n";

constexpr std::string_view kExpectPut =
    "PUT /files/report.pdf HTTP/1.1\r\n"
    "Host: localhost:8080\r\n"
    "Content-Length: 10\r\n"
    "Expect: 100-continue\r\n"
    "\r\n"
    "%PDF-1.4\n\n";

constexpr std::string_view kPipelined =
    "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
    "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
    "\r\n"  // a stray CRLF after a body, as old browsers sent
    "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

constexpr std::string_view kBareLf =
    "GET /lf HTTP/1.1\n"
    "Host: nc\n"
    "\n";

constexpr std::string_view kAbsoluteForm =
    "GET http://www.example.org:80/pub/WWW/TheProject.html?x=1 HTTP/1.1\r\n"
    "Host: www.example.org\r\n\r\n";

constexpr std::string_view kOptionsStar = "OPTIONS * HTTP/1.1\r\nHost: www.example.org\r\n\r\n";

const std::vector<std::string_view>& AllSamples() {
  static const auto* samples = new std::vector<std::string_view>{
      kCurlGet, kFirefoxGet, kFormPost, kChunkedPost, kHttp10KeepAlive, kHttp10Plain, kExpectPut,
      kPipelined, kBareLf, kAbsoluteForm, kOptionsStar,
      // Errors must be just as split-independent.
      "GET / HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
      "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"};
  return *samples;
}

TEST(RequestParserSplitTest, EverySampleParsesIdenticallyAtEverySplitPoint) {
  for (std::string_view sample : AllSamples()) {
    SCOPED_TRACE(Escape(sample));
    std::vector<std::string> whole = DriveWhole(sample);
    ASSERT_FALSE(whole.empty());
    EXPECT_EQ(DriveByteByByte(sample), whole);
    for (std::size_t cut = 1; cut < sample.size(); ++cut) {
      ASSERT_EQ(Drive(sample, {cut}), whole) << "split at " << cut;
    }
  }
}

TEST(RequestParserSplitTest, ThreeWaySplitsOfTheChunkedSample) {
  std::vector<std::string> whole = DriveWhole(kChunkedPost);
  for (std::size_t a = 1; a < kChunkedPost.size(); a += 3) {
    for (std::size_t b = a + 1; b < kChunkedPost.size(); b += 5) {
      ASSERT_EQ(Drive(kChunkedPost, {a, b}), whole) << a << "," << b;
    }
  }
}

// --- What a parsed request exposes --------------------------------------------------------

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

// --- Errors and the status they carry ------------------------------------------------------

TEST(RequestParserErrorTest, MalformedRequestsAre400) {
  const std::string_view cases[] = {
      "GET / HTTP/1.1\r\n\r\n",                                  // missing Host
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",            // duplicate Host
      "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",            // duplicate, even if equal
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
    std::string request = exact + std::string(eol) + "Host: a\r\n\r\n";
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
