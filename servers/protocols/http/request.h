#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "servers/protocols/http/method.h"

namespace corral::http {

enum class Version : unsigned char { kHttp10, kHttp11 };

// One header field line as received; the name keeps the client's case.
struct Header {
  std::string_view name;
  std::string_view value;  // OWS already trimmed
};

// A parsed request head plus its body.
//
// Ownership: every string_view points into buffers owned by the RequestParser that produced
// the Request (or, in tests, by whoever built it). They stay valid until that parser's
// Reset() or destruction; a handler that needs a value longer must copy it.
//
// Handlers and the Router read it; only the parser writes it. It is a plain struct so tests
// and handlers of other transports can build one directly.
struct Request {
  Method method = Method::kGet;
  std::string_view method_token;  // as sent, e.g. "GET"
  std::string_view target;        // the raw request-target, e.g. "/a%20b?x=1"
  // The target's path, percent-decoded once with dot segments removed (request_target.h);
  // always starts with '/' for origin-form and absolute-form targets. Empty for the
  // authority-form (CONNECT) and asterisk-form (OPTIONS *) targets.
  std::string_view path;
  // The raw (still percent-encoded) query after '?', without the '?'. Empty when absent.
  std::string_view query;
  Version version = Version::kHttp11;
  std::vector<Header> headers;  // in arrival order, duplicates kept
  // Whether the connection may stay open after the response, per RFC 9112 9.3: HTTP/1.1
  // unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive".
  bool keep_alive = true;
  bool expect_continue = false;  // "Expect: 100-continue" was sent
  bool chunked = false;          // the body arrived with Transfer-Encoding: chunked
  // The Content-Length the client declared, if any (never set together with chunked).
  std::optional<std::uint64_t> content_length;
  std::string_view body;  // the whole body once the request is complete; dechunked

  // The value of the first header named `name` (ASCII case-insensitive), or nullopt.
  std::optional<std::string_view> FindHeader(std::string_view name) const;

  // Whether any header named `name` lists `token` in its comma-separated value, ASCII
  // case-insensitively: HasHeaderToken("Connection", "close").
  bool HasHeaderToken(std::string_view name, std::string_view token) const;
};

// Whether the comma-separated list `list` contains `token` (case-insensitive, OWS around the
// elements ignored). ListContainsToken("keep-alive, Upgrade", "upgrade") is true.
bool ListContainsToken(std::string_view list, std::string_view token);

}  // namespace corral::http
