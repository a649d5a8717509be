#include "servers/protocols/http/request_parser.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "base/hex.h"
#include "servers/protocols/http/char_classes.h"
#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

// Reserved up front so that a typical request never allocates (see the class comment).
constexpr std::size_t kInitialHeadCapacity = 1024;
constexpr std::size_t kInitialHeaderCapacity = 32;
constexpr std::size_t kInitialPathCapacity = 256;
// A body buffer that grew past this is released on Reset() instead of being kept for the
// connection's lifetime.
constexpr std::size_t kMaxRetainedBodyCapacity = 64 * 1024;
// A chunk-size line (hex digits plus ignored extensions) longer than this is rejected.
constexpr std::size_t kMaxChunkLineBytes = 4 * 1024;
// Digits of a chunk size, leading zeros included: 16 hex digits hold any 64-bit size, so the
// size cannot overflow whatever the body limit (and a run of zeros cannot stall the parser).
constexpr std::size_t kMaxChunkSizeDigits = 16;

// Strips the line terminator (LF or CRLF) from a line that ends with '\n'.
std::string_view StripTerminator(std::string_view line) {
  line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

RequestParser::RequestParser(const ParserLimits& limits) : limits_(limits) {
  head_.reserve(kInitialHeadCapacity);
  request_.headers.reserve(kInitialHeaderCapacity);
  target_.path.reserve(kInitialPathCapacity);
}

void RequestParser::Reset() {
  phase_ = Phase::kHead;
  request_.headers.clear();
  std::vector<Header> headers = std::move(request_.headers);
  request_ = Request();
  request_.headers = std::move(headers);
  error_ = ParseError();
  head_.clear();
  line_start_ = 0;
  request_line_end_ = 0;
  header_lines_ = 0;
  skipped_empty_bytes_ = 0;
  head_uses_crlf_ = true;
  host_count_ = 0;
  connection_close_ = false;
  connection_keep_alive_ = false;
  transfer_encoding_present_ = false;
  transfer_encoding_last_chunked_ = false;
  transfer_encoding_chunked_count_ = 0;
  transfer_encoding_unknown_ = false;
  if (body_.capacity() > kMaxRetainedBodyCapacity) {
    std::string().swap(body_);
  } else {
    body_.clear();
  }
  remaining_ = 0;
  chunk_size_ = 0;
  chunk_line_bytes_ = 0;
  trailer_bytes_ = 0;
}

FeedResult RequestParser::Feed(std::string_view data) {
  switch (phase_) {
    case Phase::kHead:
      return FeedHead(data);
    case Phase::kComplete:
      return {0, ParseStatus::kComplete};
    case Phase::kError:
      return {0, ParseStatus::kError};
    default:
      return FeedBody(data);
  }
}

bool RequestParser::SetError(StatusCode status, std::string_view message) {
  phase_ = Phase::kError;
  error_ = ParseError{status, message};
  request_.keep_alive = false;
  return false;
}

FeedResult RequestParser::Fail(StatusCode status, std::string_view message, std::size_t consumed) {
  SetError(status, message);
  return {consumed, ParseStatus::kError};
}

FeedResult RequestParser::Finish(std::size_t consumed) {
  phase_ = Phase::kComplete;
  request_.body = body_;
  return {consumed, ParseStatus::kComplete};
}

FeedResult RequestParser::FeedHead(std::string_view data) {
  std::size_t i = 0;
  while (i < data.size()) {
    // RFC 9112 2.2: ignore empty lines before the request line (some clients send an extra
    // CRLF after a POST body).
    if (head_.empty() && (data[i] == '\r' || data[i] == '\n')) {
      if (++skipped_empty_bytes_ > limits_.max_request_line_bytes) {
        return Fail(StatusCode::kBadRequest, "too many empty lines before the request", i);
      }
      ++i;
      continue;
    }
    const void* newline = std::memchr(data.data() + i, '\n', data.size() - i);
    std::size_t take = newline != nullptr
                           ? static_cast<const char*>(newline) - (data.data() + i) + 1
                           : data.size() - i;
    std::size_t pending = head_.size() + take;
    char last = data[i + take - 1];
    if (request_line_end_ == 0) {
      // Without the terminator received so far: a trailing CR may still become CRLF.
      std::size_t line_length = pending;
      if (newline != nullptr) {
        line_length -= 1;
        if (take >= 2 ? data[i + take - 2] == '\r' : (!head_.empty() && head_.back() == '\r')) {
          line_length -= 1;
        }
      } else if (last == '\r') {
        line_length -= 1;
      }
      if (line_length > limits_.max_request_line_bytes) {
        return Fail(StatusCode::kUriTooLong, "request line too long", i);
      }
    } else if (pending - request_line_end_ > limits_.max_header_bytes) {
      return Fail(StatusCode::kRequestHeaderFieldsTooLarge, "header section too large", i);
    }
    head_.append(data.data() + i, take);
    i += take;
    if (newline == nullptr) break;

    const bool crlf = head_.size() - line_start_ >= 2 && head_[head_.size() - 2] == '\r';
    std::string_view line =
        StripTerminator(std::string_view(head_).substr(line_start_, head_.size() - line_start_));
    line_start_ = head_.size();
    if (request_line_end_ == 0) {
      request_line_end_ = head_.size();
      head_uses_crlf_ = crlf;
      continue;
    }
    if (crlf != head_uses_crlf_) {
      // A bare LF inside a CRLF head is where a front end that ends lines only at CRLF sees
      // one field and this parser two ("X: a\nTransfer-Encoding: chunked"): smuggling.
      return Fail(StatusCode::kBadRequest, "mixed CRLF and bare LF line endings", i);
    }
    if (line.empty()) {
      if (!ParseHead()) return {i, ParseStatus::kError};
      if (phase_ == Phase::kComplete) return Finish(i);
      return {i, ParseStatus::kHeadComplete};
    }
    if (++header_lines_ > limits_.max_header_count) {
      return Fail(StatusCode::kRequestHeaderFieldsTooLarge, "too many header fields", i);
    }
  }
  return {i, ParseStatus::kNeedMore};
}

bool RequestParser::ParseHead() {
  std::string_view head(head_);
  if (!ParseRequestLine(StripTerminator(head.substr(0, request_line_end_)))) return false;
  std::size_t start = request_line_end_;
  while (true) {
    std::size_t end = head.find('\n', start);
    std::string_view line = StripTerminator(head.substr(start, end + 1 - start));
    if (line.empty()) break;
    if (!ParseHeaderLine(line)) return false;
    start = end + 1;
  }
  return ApplyFraming();
}

bool RequestParser::ParseRequestLine(std::string_view line) {
  // request-line = method SP request-target SP HTTP-version, single spaces only.
  std::size_t first_space = line.find(' ');
  if (first_space == std::string_view::npos) {
    return SetError(StatusCode::kBadRequest, "malformed request line");
  }
  std::size_t second_space = line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos) {
    return SetError(StatusCode::kBadRequest, "malformed request line");
  }
  std::string_view method = line.substr(0, first_space);
  std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  std::string_view version = line.substr(second_space + 1);
  if (!IsToken(method)) return SetError(StatusCode::kBadRequest, "malformed method");
  if (target.empty()) return SetError(StatusCode::kBadRequest, "empty request-target");
  for (char c : target) {
    // Only visible ASCII: no whitespace, controls or raw non-ASCII bytes in a target.
    if (c <= 0x20 || c >= 0x7f) {
      return SetError(StatusCode::kBadRequest, "invalid character in request-target");
    }
  }
  if (version.size() != 8 || !version.starts_with("HTTP/") || !IsDigit(version[5]) ||
      version[6] != '.' || !IsDigit(version[7])) {
    return SetError(StatusCode::kBadRequest, "malformed HTTP version");
  }
  if (version == "HTTP/1.1") {
    request_.version = Version::kHttp11;
  } else if (version == "HTTP/1.0") {
    request_.version = Version::kHttp10;
  } else {
    return SetError(StatusCode::kHttpVersionNotSupported, "unsupported HTTP version");
  }
  std::optional<Method> parsed_method = ParseMethod(method);
  if (!parsed_method) return SetError(StatusCode::kNotImplemented, "unknown method");
  request_.method = *parsed_method;
  request_.method_token = method;
  request_.target = target;

  if (!ParseTarget(target, &target_).ok()) {
    return SetError(StatusCode::kBadRequest, "invalid request-target");
  }
  bool connect = request_.method == Method::kConnect;
  if ((target_.form == TargetForm::kAuthority) != connect) {
    return SetError(StatusCode::kBadRequest, "authority-form is only for CONNECT");
  }
  if (target_.form == TargetForm::kAsterisk && request_.method != Method::kOptions) {
    return SetError(StatusCode::kBadRequest, "asterisk-form is only for OPTIONS");
  }
  request_.path = target_.path;
  request_.query = target_.query;
  return true;
}

bool RequestParser::ParseHeaderLine(std::string_view line) {
  if (IsWhitespace(line.front())) {
    // obs-fold (RFC 9112 5.2) or whitespace before the first field: both rejected.
    return SetError(StatusCode::kBadRequest, "obsolete line folding");
  }
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return SetError(StatusCode::kBadRequest, "missing colon");
  std::string_view name = line.substr(0, colon);
  // IsToken also rejects whitespace between the name and the colon (RFC 9112 5.1).
  if (!IsToken(name)) return SetError(StatusCode::kBadRequest, "malformed field name");
  std::string_view value = TrimWhitespace(line.substr(colon + 1));
  for (char c : value) {
    if (!IsFieldValueChar(static_cast<unsigned char>(c))) {
      return SetError(StatusCode::kBadRequest, "invalid character in field value");
    }
  }
  request_.headers.push_back(Header{name, value});

  if (EqualsIgnoreCase(name, "Host")) {
    ++host_count_;
    for (char c : value) {
      if (!IsHostChar(static_cast<unsigned char>(c))) {
        return SetError(StatusCode::kBadRequest, "invalid Host header");
      }
    }
  } else if (EqualsIgnoreCase(name, "Content-Length")) {
    // A list of identical values ("5, 5", or the same header twice) is one length (RFC 9110
    // 8.6); anything else is a framing conflict.
    std::string_view rest = value;
    bool more = true;
    while (more) {
      std::size_t comma = rest.find(',');
      std::string_view element = TrimWhitespace(rest.substr(0, comma));
      more = comma != std::string_view::npos;
      rest = more ? rest.substr(comma + 1) : std::string_view();
      if (element.empty()) return SetError(StatusCode::kBadRequest, "bad Content-Length");
      std::uint64_t length = 0;
      for (char c : element) {
        if (!IsDigit(c)) return SetError(StatusCode::kBadRequest, "bad Content-Length");
        if (length > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) {
          return SetError(StatusCode::kBadRequest, "Content-Length overflows");
        }
        length = length * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (request_.content_length && *request_.content_length != length) {
        return SetError(StatusCode::kBadRequest, "conflicting Content-Length values");
      }
      request_.content_length = length;
    }
  } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
    transfer_encoding_present_ = true;
    std::string_view rest = value;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string_view coding = TrimWhitespace(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (coding.empty()) continue;
      transfer_encoding_last_chunked_ = EqualsIgnoreCase(coding, "chunked");
      if (transfer_encoding_last_chunked_) {
        ++transfer_encoding_chunked_count_;
      } else {
        transfer_encoding_unknown_ = true;
      }
    }
  } else if (EqualsIgnoreCase(name, "Connection")) {
    connection_close_ = connection_close_ || ListContainsToken(value, "close");
    connection_keep_alive_ = connection_keep_alive_ || ListContainsToken(value, "keep-alive");
  } else if (EqualsIgnoreCase(name, "Expect")) {
    // RFC 9110 10.1.1: a server must ignore 100-continue from an HTTP/1.0 client. Other
    // expectations are ignored rather than answered with 417.
    request_.expect_continue =
        request_.expect_continue ||
        (request_.version == Version::kHttp11 && ListContainsToken(value, "100-continue"));
  }
  return true;
}

bool RequestParser::ApplyFraming() {
  if (request_.version == Version::kHttp11 && host_count_ == 0) {
    return SetError(StatusCode::kBadRequest, "missing Host header");
  }
  if (host_count_ > 1) return SetError(StatusCode::kBadRequest, "duplicate Host header");
  if (request_.version == Version::kHttp11) {
    request_.keep_alive = !connection_close_;
  } else {
    request_.keep_alive = connection_keep_alive_ && !connection_close_;
  }

  if (transfer_encoding_present_) {
    // RFC 9112 6.1 and 6.3: each of these makes the body length unknowable, so the only safe
    // answer is 400 and closing the connection.
    if (request_.content_length) {
      return SetError(StatusCode::kBadRequest, "both Content-Length and Transfer-Encoding");
    }
    if (request_.version == Version::kHttp10) {
      return SetError(StatusCode::kBadRequest, "Transfer-Encoding in an HTTP/1.0 request");
    }
    if (!transfer_encoding_last_chunked_ || transfer_encoding_chunked_count_ != 1) {
      return SetError(StatusCode::kBadRequest, "chunked is not the final transfer coding");
    }
    if (transfer_encoding_unknown_) {
      return SetError(StatusCode::kNotImplemented, "unsupported transfer coding");
    }
    request_.chunked = true;
    phase_ = Phase::kChunkSize;
    return true;
  }
  if (request_.content_length.value_or(0) > 0) {
    if (*request_.content_length > limits_.max_body_bytes) {
      return SetError(StatusCode::kContentTooLarge, "Content-Length above the body limit");
    }
    remaining_ = *request_.content_length;
    body_.reserve(static_cast<std::size_t>(remaining_));
    phase_ = Phase::kFixedBody;
    return true;
  }
  phase_ = Phase::kComplete;
  return true;
}

FeedResult RequestParser::FeedBody(std::string_view data) {
  std::size_t i = 0;
  while (i < data.size()) {
    char c = data[i];
    switch (phase_) {
      case Phase::kFixedBody:
      case Phase::kChunkData: {
        std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size() - i));
        body_.append(data.data() + i, take);
        i += take;
        remaining_ -= take;
        if (remaining_ == 0) {
          if (phase_ == Phase::kFixedBody) return Finish(i);
          phase_ = Phase::kChunkDataCr;
        }
        continue;
      }
      case Phase::kChunkSize: {
        // chunk-size [ BWS ";" chunk-ext ] CRLF (RFC 9112 7.1): hex digits, and whitespace only
        // where an extension follows. Reading "5 5" as 5 is how a lenient and a strict parser
        // come to disagree on where the body ends.
        ++chunk_line_bytes_;  // every byte so far was a digit
        int digit = base::HexValue(c);
        if (digit >= 0) {
          if (chunk_line_bytes_ > kMaxChunkSizeDigits) {
            return Fail(StatusCode::kBadRequest, "chunk size has too many digits", i);
          }
          chunk_size_ = chunk_size_ * 16 + static_cast<std::uint64_t>(digit);  // < 2^64
          if (chunk_size_ > limits_.max_body_bytes - body_.size()) {
            return Fail(StatusCode::kContentTooLarge, "chunked body above the body limit", i);
          }
        } else if (chunk_line_bytes_ == 1) {
          return Fail(StatusCode::kBadRequest, "chunk size is not hex", i);
        } else if (c == ';') {
          phase_ = Phase::kChunkExtension;
        } else if (IsWhitespace(c)) {
          phase_ = Phase::kChunkSizeBws;
        } else if (c == '\r') {
          phase_ = Phase::kChunkSizeLf;
        } else {
          return Fail(StatusCode::kBadRequest, "chunk size is not hex", i);
        }
        break;
      }
      case Phase::kChunkSizeBws:
        if (++chunk_line_bytes_ > kMaxChunkLineBytes) {
          return Fail(StatusCode::kBadRequest, "chunk-size line too long", i);
        }
        if (c == ';') {
          phase_ = Phase::kChunkExtension;
        } else if (!IsWhitespace(c)) {
          return Fail(StatusCode::kBadRequest, "whitespace after a chunk size without ';'", i);
        }
        break;
      case Phase::kChunkExtension:
        // Extensions carry nothing Corral uses (RFC 9112 7.1.1 lets a recipient ignore
        // them); only their bytes are checked, so a bare LF or NUL cannot hide in them.
        if (++chunk_line_bytes_ > kMaxChunkLineBytes) {
          return Fail(StatusCode::kBadRequest, "chunk-size line too long", i);
        }
        if (c == '\r') {
          phase_ = Phase::kChunkSizeLf;
        } else if (!IsFieldValueChar(static_cast<unsigned char>(c))) {
          return Fail(StatusCode::kBadRequest, "invalid character in chunk extension", i);
        }
        break;
      case Phase::kChunkSizeLf:
        if (c != '\n') return Fail(StatusCode::kBadRequest, "chunk-size line without CRLF", i);
        remaining_ = chunk_size_;
        chunk_size_ = 0;
        chunk_line_bytes_ = 0;
        phase_ = remaining_ == 0 ? Phase::kTrailerLineStart : Phase::kChunkData;
        break;
      case Phase::kChunkDataCr:
        if (c != '\r') return Fail(StatusCode::kBadRequest, "chunk data without CRLF", i);
        phase_ = Phase::kChunkDataLf;
        break;
      case Phase::kChunkDataLf:
        if (c != '\n') return Fail(StatusCode::kBadRequest, "chunk data without CRLF", i);
        phase_ = Phase::kChunkSize;
        break;
      case Phase::kTrailerLineStart:
      case Phase::kTrailerLine:
        // Trailer fields are accepted and discarded: nothing in Corral consumes them, and
        // merging them into the headers would let a trailer override a checked header.
        if (++trailer_bytes_ > limits_.max_header_bytes) {
          return Fail(StatusCode::kRequestHeaderFieldsTooLarge, "trailer section too large", i);
        }
        if (c == '\r') {
          phase_ =
              phase_ == Phase::kTrailerLineStart ? Phase::kTrailerEndLf : Phase::kTrailerLineLf;
        } else if (!IsFieldValueChar(static_cast<unsigned char>(c))) {
          return Fail(StatusCode::kBadRequest, "invalid character in trailer", i);
        } else {
          phase_ = Phase::kTrailerLine;
        }
        break;
      case Phase::kTrailerLineLf:
        if (c != '\n') return Fail(StatusCode::kBadRequest, "trailer line without CRLF", i);
        phase_ = Phase::kTrailerLineStart;
        break;
      case Phase::kTrailerEndLf:
        if (c != '\n') return Fail(StatusCode::kBadRequest, "trailer section without CRLF", i);
        return Finish(i + 1);
      default:
        return Fail(StatusCode::kInternalServerError, "parser in an impossible phase", i);
    }
    ++i;
  }
  return {i, ParseStatus::kNeedMore};
}

}  // namespace corral::http
