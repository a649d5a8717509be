#include "servers/protocols/http/static_file.h"

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

void AddValidators(std::string_view etag, std::string_view last_modified, Response* response) {
  // Both values are generated here and contain only visible ASCII: AddHeader cannot fail.
  response->AddHeader("ETag", etag).IgnoreError();
  response->AddHeader("Last-Modified", last_modified).IgnoreError();
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

std::string MakeETag(const FileInfo& info) {
  std::uint64_t mtime_ns = static_cast<std::uint64_t>(info.mtime_seconds) * 1000000000u +
                           static_cast<std::uint64_t>(info.mtime_nanoseconds);
  return StrCat("\"", Hex(info.inode), "-", Hex(info.size), "-", Hex(mtime_ns), "\"");
}

void PrepareStaticFileResponse(const Request& request, std::string_view name, net::UniqueFd file,
                               const FileInfo& info, Response* response) {
  response->Reset();
  if (!IsGetOrHead(request.method)) {
    MakeMethodNotAllowedResponse("GET, HEAD", response);
    return;
  }
  const std::string etag = MakeETag(info);
  char last_modified[kHttpDateLength];
  FormatHttpDate(static_cast<std::time_t>(info.mtime_seconds), last_modified);
  const std::string_view last_modified_text(last_modified, kHttpDateLength);

  // Steps 1 and 2: the client's update preconditions.
  if (request.FindHeader("If-Match")) {
    if (!AnyETagHeaderMatches(request, "If-Match", etag, Comparison::kStrong)) {
      MakeErrorResponse(StatusCode::kPreconditionFailed, response);
      return;
    }
  } else if (std::optional<std::string_view> since = request.FindHeader("If-Unmodified-Since")) {
    std::optional<std::time_t> date = ParseHttpDate(*since);
    if (date && info.mtime_seconds > static_cast<std::int64_t>(*date)) {
      MakeErrorResponse(StatusCode::kPreconditionFailed, response);
      return;
    }
  }
  // Steps 3 and 4: the cache's validation.
  bool not_modified = false;
  if (request.FindHeader("If-None-Match")) {
    not_modified = AnyETagHeaderMatches(request, "If-None-Match", etag, Comparison::kWeak);
  } else if (std::optional<std::string_view> since = request.FindHeader("If-Modified-Since")) {
    std::optional<std::time_t> date = ParseHttpDate(*since);
    not_modified = date && info.mtime_seconds <= static_cast<std::int64_t>(*date);
  }
  if (not_modified) {
    response->SetStatus(StatusCode::kNotModified);
    AddValidators(etag, last_modified_text, response);
    return;
  }

  // Step 5: a single byte range.
  RangeDecision range;
  std::optional<std::string_view> range_header = request.FindHeader("Range");
  if (range_header && request.method == Method::kGet) {
    std::optional<std::string_view> if_range = request.FindHeader("If-Range");
    if (!if_range || IfRangeMatches(*if_range, etag, info.mtime_seconds)) {
      range = EvaluateRange(*range_header, info.size);
    }
  }
  if (range.kind == RangeDecision::Kind::kUnsatisfiable) {
    MakeErrorResponse(StatusCode::kRangeNotSatisfiable, response);
    response->AddHeader("Content-Range", StrCat("bytes */", info.size)).IgnoreError();
    return;
  }

  response->AddHeader("Content-Type", ContentTypeForPath(name)).IgnoreError();
  AddValidators(etag, last_modified_text, response);
  response->AddHeader("Accept-Ranges", "bytes").IgnoreError();
  std::uint64_t offset = 0;
  std::uint64_t length = info.size;
  if (range.kind == RangeDecision::Kind::kPartial) {
    response->SetStatus(StatusCode::kPartialContent);
    response
        ->AddHeader("Content-Range", StrCat("bytes ", range.first, "-",
                                            range.first + range.length - 1, "/", info.size))
        .IgnoreError();
    offset = range.first;
    length = range.length;
  }
  response->SetFileBody(std::move(file), offset, length);
}

}  // namespace corral::http
