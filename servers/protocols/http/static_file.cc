#include "servers/protocols/http/static_file.h"

#include <charconv>
#include <optional>
#include <utility>

#include "servers/protocols/http/byte_range.h"
#include "servers/protocols/http/char_classes.h"
#include "servers/protocols/http/error_response.h"
#include "servers/protocols/http/http_date.h"
#include "servers/protocols/http/mime_types.h"
#include "servers/protocols/http/text_util.h"

namespace corral::http {
namespace {

enum class Comparison { kStrong, kWeak };

// Whether the entity-tag list `list` ("*" or a comma-separated list of possibly weak
// quoted tags) matches our strong tag `etag` under `comparison` (RFC 9110 8.8.3.2). A
// malformed list matches nothing.
bool ETagListMatches(std::string_view list, std::string_view etag, Comparison comparison) {
  list = TrimWhitespace(list);
  if (list == "*") return true;
  while (!list.empty()) {
    if (list[0] == ',' || IsWhitespace(list[0])) {
      list.remove_prefix(1);
      continue;
    }
    bool weak = list.starts_with("W/");
    if (weak) list.remove_prefix(2);
    if (list.empty() || list[0] != '"') return false;
    std::size_t close = list.find('"', 1);
    if (close == std::string_view::npos) return false;
    std::string_view tag = list.substr(0, close + 1);
    list.remove_prefix(close + 1);
    if (tag == etag && (comparison == Comparison::kWeak || !weak)) return true;
  }
  return false;
}

// Whether any header named `name` matches; false when none is present.
bool AnyETagHeaderMatches(const Request& request, std::string_view name, std::string_view etag,
                          Comparison comparison) {
  for (const Header& header : request.headers) {
    if (EqualsIgnoreCase(header.name, name) && ETagListMatches(header.value, etag, comparison)) {
      return true;
    }
  }
  return false;
}

bool IsGetOrHead(Method method) { return method == Method::kGet || method == Method::kHead; }

// RFC 9110 13.1.5.
bool IfRangeMatches(std::string_view value, std::string_view etag, std::int64_t mtime) {
  value = TrimWhitespace(value);
  if (value.starts_with("W/")) return false;  // a weak tag never satisfies If-Range
  if (value.starts_with("\"")) return value == etag;
  std::optional<std::time_t> date = ParseHttpDate(value);
  return date.has_value() && static_cast<std::int64_t>(*date) == mtime;
}

// MakeETag's text in an inline buffer, so that serving a file allocates nothing.
class ETagText {
 public:
  explicit ETagText(const FileInfo& info) {
    const std::uint64_t mtime_ns = static_cast<std::uint64_t>(info.mtime_seconds) * 1000000000u +
                                   static_cast<std::uint64_t>(info.mtime_nanoseconds);
    char* p = text_;
    char* const end = text_ + sizeof(text_);
    *p++ = '"';
    p = std::to_chars(p, end, info.inode, 16).ptr;
    *p++ = '-';
    p = std::to_chars(p, end, info.size, 16).ptr;
    *p++ = '-';
    p = std::to_chars(p, end, mtime_ns, 16).ptr;
    *p++ = '"';
    size_ = static_cast<std::size_t>(p - text_);
  }

  std::string_view view() const { return std::string_view(text_, size_); }

 private:
  char text_[3 * 16 + 4];  // three 64-bit numbers in hex, two dashes, two quotes
  std::size_t size_;
};

// A file's two validators as header text. Both are pure functions of the FileInfo, and a
// busy server answers for the same few files over and over, so each thread keeps the last
// file's: a repeat costs four comparisons instead of hex and date formatting.
struct Validators {
  bool valid = false;  // false until the first file is formatted into it
  FileInfo info;
  ETagText etag{FileInfo{}};
  char last_modified[kHttpDateLength]{};

  std::string_view last_modified_view() const {
    return std::string_view(last_modified, kHttpDateLength);
  }
};

bool SameFile(const FileInfo& a, const FileInfo& b) {
  return a.inode == b.inode && a.size == b.size && a.mtime_seconds == b.mtime_seconds &&
         a.mtime_nanoseconds == b.mtime_nanoseconds;
}

// This thread's validators for `info`, valid until its next call.
const Validators& ValidatorsOf(const FileInfo& info) {
  thread_local Validators last;
  if (!last.valid || !SameFile(last.info, info)) {
    last.valid = true;
    last.info = info;
    last.etag = ETagText(info);
    FormatHttpDate(static_cast<std::time_t>(info.mtime_seconds), last.last_modified);
  }
  return last;
}

// The request headers that steer a file response, gathered in one pass over the header list
// rather than a FindHeader scan each. The first of each name wins, as with FindHeader.
struct FileRequestHeaders {
  std::optional<std::string_view> if_match;
  std::optional<std::string_view> if_unmodified_since;
  std::optional<std::string_view> if_none_match;
  std::optional<std::string_view> if_modified_since;
  std::optional<std::string_view> range;
  std::optional<std::string_view> if_range;

  explicit FileRequestHeaders(const Request& request) {
    for (const Header& header : request.headers) {
      std::optional<std::string_view>* slot = Slot(header.name);
      if (slot != nullptr && !slot->has_value()) *slot = header.value;
    }
  }

 private:
  std::optional<std::string_view>* Slot(std::string_view name) {
    switch (name.size()) {  // most headers fail here, before any comparison
      case 5:
        return EqualsIgnoreCase(name, "Range") ? &range : nullptr;
      case 8:
        if (EqualsIgnoreCase(name, "If-Match")) return &if_match;
        return EqualsIgnoreCase(name, "If-Range") ? &if_range : nullptr;
      case 13:
        return EqualsIgnoreCase(name, "If-None-Match") ? &if_none_match : nullptr;
      case 17:
        return EqualsIgnoreCase(name, "If-Modified-Since") ? &if_modified_since : nullptr;
      case 19:
        return EqualsIgnoreCase(name, "If-Unmodified-Since") ? &if_unmodified_since : nullptr;
      default:
        return nullptr;
    }
  }
};

void AddValidators(std::string_view etag, std::string_view last_modified, Response* response) {
  // Both values are composed here from hex digits and a date.
  response->AddComposedHeader("ETag", etag);
  response->AddComposedHeader("Last-Modified", last_modified);
}

}  // namespace

FileInfo FileInfo::FromStat(const struct stat& st) {
  FileInfo info;
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.mtime_seconds = static_cast<std::int64_t>(st.st_mtim.tv_sec);
  info.mtime_nanoseconds = static_cast<std::int64_t>(st.st_mtim.tv_nsec);
  info.inode = static_cast<std::uint64_t>(st.st_ino);
  return info;
}

std::string MakeETag(const FileInfo& info) { return std::string(ETagText(info).view()); }

namespace {

// The bytes of the file a 200 or 206 sends.
struct Slice {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// Everything PrepareStaticFileResponse does but setting the body: the slice to send for a 200 or
// 206, nothing for the other outcomes (whose response is then complete).
std::optional<Slice> PrepareHeadForFile(const Request& request, std::string_view name,
                                        const FileInfo& info, Response* response) {
  response->Reset();
  if (!IsGetOrHead(request.method)) {
    MakeMethodNotAllowedResponse("GET, HEAD", response);
    return std::nullopt;
  }
  // Copied: a validator view must not depend on the thread-local memo staying put.
  const Validators validators = ValidatorsOf(info);
  const std::string_view etag = validators.etag.view();
  const std::string_view last_modified_text = validators.last_modified_view();
  const FileRequestHeaders headers(request);

  // Steps 1 and 2: the client's update preconditions.
  if (headers.if_match) {
    if (!AnyETagHeaderMatches(request, "If-Match", etag, Comparison::kStrong)) {
      MakeErrorResponse(StatusCode::kPreconditionFailed, response);
      return std::nullopt;
    }
  } else if (headers.if_unmodified_since) {
    std::optional<std::time_t> date = ParseHttpDate(*headers.if_unmodified_since);
    if (date && info.mtime_seconds > static_cast<std::int64_t>(*date)) {
      MakeErrorResponse(StatusCode::kPreconditionFailed, response);
      return std::nullopt;
    }
  }
  // Steps 3 and 4: the cache's validation.
  bool not_modified = false;
  if (headers.if_none_match) {
    not_modified = AnyETagHeaderMatches(request, "If-None-Match", etag, Comparison::kWeak);
  } else if (headers.if_modified_since) {
    std::optional<std::time_t> date = ParseHttpDate(*headers.if_modified_since);
    not_modified = date && info.mtime_seconds <= static_cast<std::int64_t>(*date);
  }
  if (not_modified) {
    response->SetStatus(StatusCode::kNotModified);
    AddValidators(etag, last_modified_text, response);
    return std::nullopt;
  }

  // Step 5: a single byte range.
  RangeDecision range;
  if (headers.range && request.method == Method::kGet) {
    if (!headers.if_range || IfRangeMatches(*headers.if_range, etag, info.mtime_seconds)) {
      range = EvaluateRange(*headers.range, info.size);
    }
  }
  if (range.kind == RangeDecision::Kind::kUnsatisfiable) {
    MakeErrorResponse(StatusCode::kRangeNotSatisfiable, response);
    response->AddComposedHeader("Content-Range", StrCat("bytes */", info.size));
    return std::nullopt;
  }

  response->AddComposedHeader("Content-Type", ContentTypeForPath(name));  // the MIME table's
  AddValidators(etag, last_modified_text, response);
  response->AddComposedHeader("Accept-Ranges", "bytes");
  std::uint64_t offset = 0;
  std::uint64_t length = info.size;
  if (range.kind == RangeDecision::Kind::kPartial) {
    response->SetStatus(StatusCode::kPartialContent);
    response->AddComposedHeader(
        "Content-Range",
        StrCat("bytes ", range.first, "-", range.first + range.length - 1, "/", info.size));
    offset = range.first;
    length = range.length;
  }
  return Slice{offset, length};
}

}  // namespace

void PrepareStaticFileResponse(const Request& request, std::string_view name, base::UniqueFd file,
                               const FileInfo& info, Response* response) {
  if (std::optional<Slice> slice = PrepareHeadForFile(request, name, info, response)) {
    response->SetFileBody(std::move(file), slice->offset, slice->length);
  }
}

void PrepareStaticFileResponse(const Request& request, std::string_view name,
                               std::string_view bytes, const FileInfo& info, Response* response) {
  if (std::optional<Slice> slice = PrepareHeadForFile(request, name, info, response)) {
    response->SetBody(bytes.substr(slice->offset, slice->length));
  }
}

}  // namespace corral::http
