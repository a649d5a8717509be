// Splits the bytes an HTTP/1.1 server sends on one connection into responses, without I/O:
// corral-load's HTTP mode feeds it what each read returns and checks every response it yields.
// Only what a benchmark target answers is understood: a status line, headers and a body framed
// by Content-Length. Chunked or unframed bodies are reported as malformed, since a load
// generator that cannot frame a response cannot tell where the next one starts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace corral::load {

struct HttpResponseHead {
  int status = 0;
  size_t body_length = 0;  // the Content-Length
  bool close = false;      // "Connection: close": the server ends the connection after it
};

class HttpResponseParser {
 public:
  enum class Result {
    kNeedMore,   // no whole response buffered yet
    kResponse,   // one response taken off the front; head() describes it
    kMalformed,  // the bytes are not a response this parser can frame; the stream is lost
  };

  // Appends bytes read from the connection.
  void Feed(std::string_view bytes) { buffer_.append(bytes); }

  // Takes the next whole response off the buffer, if there is one.
  Result Next();

  const HttpResponseHead& head() const { return head_; }
  // Bytes of a response begun but not finished: a connection that ends with some is cut.
  size_t buffered() const { return buffer_.size(); }
  void Reset() { buffer_.clear(); }

 private:
  std::string buffer_;
  HttpResponseHead head_;
};

}  // namespace corral::load
