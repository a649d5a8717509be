#include "tests/servers/protocols/http/parser_driver.h"

#include "gtest/gtest.h"
#include "servers/protocols/http/text_util.h"

namespace corral::http::test_support {

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
                               const ParserLimits& limits) {
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

std::vector<std::string> DriveWhole(std::string_view data, const ParserLimits& limits) {
  return Drive(data, {}, limits);
}

std::vector<std::string> DriveByteByByte(std::string_view data, const ParserLimits& limits) {
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

StatusCode ErrorOf(std::string_view data, const ParserLimits& limits) {
  RequestParser parser(limits);
  std::size_t consumed = 0;
  ParseStatus status = FeedAll(parser, data, &consumed);
  EXPECT_EQ(status, ParseStatus::kError) << Escape(data);
  return parser.error().status;
}

}  // namespace corral::http::test_support
