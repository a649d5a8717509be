#pragma once

#include <string_view>
#include <vector>

// Real requests, as curl, Firefox, ApacheBench, netcat and HTTP client libraries send them.
namespace corral::http::test_support {

inline constexpr std::string_view kCurlGet =
    "GET /index.html HTTP/1.1\r\n"
    "Host: localhost:8080\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "\r\n";

inline constexpr std::string_view kFirefoxGet =
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

inline constexpr std::string_view kFormPost =
    "POST /api/login HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "Content-Length: 27\r\n"
    "\r\n"
    "user=ada&password=lovelace1";

inline constexpr std::string_view kChunkedPost =
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

inline constexpr std::string_view kHttp10KeepAlive =
    "GET /status HTTP/1.0\r\n"
    "Connection: Keep-Alive\r\n"
    "User-Agent: ApacheBench/2.3\r\n"
    "\r\n";

inline constexpr std::string_view kHttp10Plain = "GET / HTTP/1.0\r\n\r\n";

inline constexpr std::string_view kExpectPut =
    "PUT /files/report.pdf HTTP/1.1\r\n"
    "Host: localhost:8080\r\n"
    "Content-Length: 10\r\n"
    "Expect: 100-continue\r\n"
    "\r\n"
    "%PDF-1.4\n\n";

inline constexpr std::string_view kPipelined =
    "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
    "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
    "\r\n"  // a stray CRLF after a body, as old browsers sent
    "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

inline constexpr std::string_view kBareLf =
    "GET /lf HTTP/1.1\n"
    "Host: nc\n"
    "\n";

inline constexpr std::string_view kAbsoluteForm =
    "GET http://www.example.org:80/pub/WWW/TheProject.html?x=1 HTTP/1.1\r\n"
    "Host: www.example.org\r\n\r\n";

inline constexpr std::string_view kOptionsStar =
    "OPTIONS * HTTP/1.1\r\nHost: www.example.org\r\n\r\n";

// Every sample above plus malformed ones: parsing must not depend on how bytes arrive,
// whether the request is valid or not.
inline const std::vector<std::string_view>& AllSamples() {
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

}  // namespace corral::http::test_support
