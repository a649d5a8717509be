// Fuzzes the HTTP/1.1 request parser (servers/protocols/http/request_parser.h) the way a
// connection drives it: pipelined requests, Reset() after each complete one, stop at the first
// error. Beyond "no crash, no leak, no UB" it checks the parser's promises:
//  - Feed never consumes more than it was offered, and kNeedMore means it took everything;
//  - bytes may arrive split anywhere: fed whole, one byte at a time or in 7-byte reads, the
//    input yields the same requests (every field, body included) and the same error status;
//  - a complete request is self-consistent (a Content-Length body has that length, a chunked
//    one has no Content-Length, origin-form paths start with '/').
// Run twice per input, with the server's default limits and with small ones, so that short
// inputs reach the 413/414/431 paths too.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "servers/protocols/http/request_parser.h"

namespace corral::http {
namespace {

constexpr std::size_t kMaxRequests = 16;  // per input; bounds the time one input can take

// What a connection sees of one request: copied out, since request()'s views die at Reset().
struct Outcome {
  ParseStatus status = ParseStatus::kNeedMore;
  StatusCode error_status = StatusCode::kOk;
  Method method = Method::kGet;
  std::string method_token, target, path, query, body;
  std::vector<std::pair<std::string, std::string>> headers;
  Version version = Version::kHttp11;
  bool keep_alive = false, expect_continue = false, chunked = false;
  std::optional<std::uint64_t> content_length;
  std::size_t end = 0;  // input offset just past the request; not compared for errors

  bool operator==(const Outcome& other) const {
    if (status == ParseStatus::kError || other.status == ParseStatus::kError) {
      return status == other.status && error_status == other.error_status;
    }
    return status == other.status && method == other.method && method_token == other.method_token &&
           target == other.target && path == other.path && query == other.query &&
           body == other.body && headers == other.headers && version == other.version &&
           keep_alive == other.keep_alive && expect_continue == other.expect_continue &&
           chunked == other.chunked && content_length == other.content_length && end == other.end;
  }
};

Outcome Capture(const RequestParser& parser, std::size_t end) {
  const Request& r = parser.request();
  Outcome o;
  o.status = ParseStatus::kComplete;
  o.method = r.method;
  o.method_token = r.method_token;
  o.target = r.target;
  o.path = r.path;
  o.query = r.query;
  o.body = r.body;
  for (const Header& h : r.headers) o.headers.emplace_back(h.name, h.value);
  o.version = r.version;
  o.keep_alive = r.keep_alive;
  o.expect_continue = r.expect_continue;
  o.chunked = r.chunked;
  o.content_length = r.content_length;
  o.end = end;

  FUZZ_CHECK(!(r.chunked && r.content_length), r.target);
  if (r.content_length && !r.chunked) FUZZ_CHECK(r.body.size() == *r.content_length, r.target);
  if (!r.path.empty()) FUZZ_CHECK(r.path.front() == '/', r.path);
  if (r.target.front() == '/') FUZZ_CHECK(!r.path.empty(), r.target);
  return o;
}

// Feeds `input` as a socket delivering `step` bytes per read would, through as many pipelined
// requests as it holds (up to kMaxRequests). The last Outcome is the error, or the state the
// input ended in (kNeedMore: incomplete).
std::vector<Outcome> Drive(const ParserLimits& limits, std::string_view input, std::size_t step) {
  RequestParser parser(limits);
  std::vector<Outcome> outcomes;
  std::size_t received = 0;  // bytes "read from the socket" so far
  std::size_t pos = 0;       // bytes consumed by the parser
  // Each Feed either consumes a byte or changes the status; far more calls means a loop.
  std::size_t feeds_left = 4 * input.size() + 4 * kMaxRequests + 16;
  while (outcomes.size() < kMaxRequests) {
    if (pos == received) {
      if (received == input.size()) break;
      received = std::min(input.size(), received + step);
    }
    FUZZ_CHECK(feeds_left-- > 0, "Feed makes no progress");
    const std::size_t offered = received - pos;
    const FeedResult r = parser.Feed(input.substr(pos, offered));
    FUZZ_CHECK(r.consumed <= offered, "Feed consumed more than it was offered");
    pos += r.consumed;
    switch (r.status) {
      case ParseStatus::kNeedMore:
        FUZZ_CHECK(r.consumed == offered, "kNeedMore left bytes unconsumed");
        break;
      case ParseStatus::kHeadComplete:
        FUZZ_CHECK(parser.started(), "kHeadComplete before any byte");
        break;
      case ParseStatus::kComplete:
        outcomes.push_back(Capture(parser, pos));
        parser.Reset();
        break;
      case ParseStatus::kError: {
        Outcome error;
        error.status = ParseStatus::kError;
        error.error_status = parser.error().status;
        FUZZ_CHECK(!parser.error().message.empty(), "error without a message");
        FUZZ_CHECK(static_cast<int>(error.error_status) >= 400, parser.error().message);
        FUZZ_CHECK(!parser.request().keep_alive, "keep-alive after an error");
        outcomes.push_back(error);
        return outcomes;
      }
    }
  }
  if (outcomes.size() < kMaxRequests) {
    Outcome incomplete;
    incomplete.status = ParseStatus::kNeedMore;
    incomplete.end = parser.started() ? 1 : 0;  // compared: whether a request was begun
    outcomes.push_back(incomplete);
  }
  return outcomes;
}

void Check(const ParserLimits& limits, std::string_view input) {
  const std::vector<Outcome> whole = Drive(limits, input, input.size() + 1);
  FUZZ_CHECK(Drive(limits, input, 1) == whole, "one byte per read parses differently");
  FUZZ_CHECK(Drive(limits, input, 7) == whole, "7 bytes per read parse differently");
}

}  // namespace
}  // namespace corral::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using corral::http::ParserLimits;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  corral::http::Check(ParserLimits(), input);
  ParserLimits small;
  small.max_request_line_bytes = 64;
  small.max_header_bytes = 256;
  small.max_header_count = 8;
  small.max_body_bytes = 512;
  corral::http::Check(small, input);
  return 0;
}
