#include "servers/protocols/file/line_reader.h"

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace corral::protocols::file {

LineReader::LineReader(net::Stream& stream, size_t max_line)
    : stream_(stream), capacity_(max_line), buffer_(new char[max_line]) {}

absl::StatusOr<std::optional<std::string_view>> LineReader::ReadLine(net::Deadline deadline) {
  size_t scanned = begin_;
  for (;;) {
    const char* start = buffer_.get();
    const void* lf = std::memchr(start + scanned, '\n', end_ - scanned);
    if (lf != nullptr) {
      size_t line_end = static_cast<const char*>(lf) - start;
      std::string_view line(start + begin_, line_end - begin_);
      begin_ = line_end + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return line;
    }
    scanned = end_;
    if (end_ - begin_ >= capacity_) {
      return absl::ResourceExhaustedError(absl::StrCat("line longer than ", capacity_, " bytes"));
    }
    if (end_ == capacity_) {  // make room at the back: slide the partial line to the front
      std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
      scanned -= begin_;
      end_ -= begin_;
      begin_ = 0;
    }
    absl::StatusOr<size_t> n = stream_.Read(buffer_.get() + end_, capacity_ - end_, deadline);
    if (!n.ok()) return n.status();
    if (*n == 0) {
      if (end_ == begin_) return std::nullopt;
      return absl::UnavailableError("connection closed in the middle of a line");
    }
    end_ += *n;
  }
}

absl::StatusOr<size_t> LineReader::ReadSome(void* buf, size_t len, net::Deadline deadline) {
  if (begin_ < end_) {
    size_t n = std::min(len, end_ - begin_);
    std::memcpy(buf, buffer_.get() + begin_, n);
    begin_ += n;
    return n;
  }
  begin_ = end_ = 0;
  return stream_.Read(buf, len, deadline);
}

}  // namespace corral::protocols::file
