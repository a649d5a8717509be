// Fuzzes the file protocol's wire text (servers/protocols/file/): the request-line parser, name
// escaping, client-path normalisation and the LIST and reply lines. The input is one line as
// the server's LineReader hands it over (LF and a CR before it already removed). Checks:
//  - whatever ParseRequest accepts, FormatRequest writes back as a line that parses to the same
//    request (the client and the server agree on every request);
//  - EscapeName output holds no byte that needs escaping and unescapes to the original, and
//    whatever UnescapeName accepts escapes back to text that unescapes to the same bytes;
//  - an accepted relative path is normalised (no leading '/', no empty, "." or ".." component,
//    no NUL) and normalising it again changes nothing;
//  - a LIST line round-trips through ParseListEntry/FormatListEntry, and an ERR line made from
//    any message is one line without control characters that the client parses back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "fuzz/fuzz_check.h"
#include "servers/protocols/file/list_entry.h"
#include "servers/protocols/file/name_escape.h"
#include "servers/protocols/file/relative_path.h"
#include "servers/protocols/file/reply.h"
#include "servers/protocols/file/request.h"

namespace corral::protocols::file {
namespace {

std::string_view WithoutLf(std::string_view line) {
  FUZZ_CHECK(!line.empty() && line.back() == '\n', line);
  line.remove_suffix(1);
  FUZZ_CHECK(line.find('\n') == std::string_view::npos, line);
  return line;
}

void CheckRequest(std::string_view line) {
  absl::StatusOr<Request> request = ParseRequest(line);
  if (!request.ok()) {
    FUZZ_CHECK(request.status().code() == absl::StatusCode::kInvalidArgument,
               request.status().ToString());
    return;
  }
  const std::string formatted = FormatRequest(*request);
  absl::StatusOr<Request> again = ParseRequest(WithoutLf(formatted));
  FUZZ_CHECK(again.ok(), formatted);
  FUZZ_CHECK(
      again->verb == request->verb && again->path == request->path && again->size == request->size,
      formatted);
}

void CheckEscaping(std::string_view raw) {
  const std::string escaped = EscapeName(raw);
  for (char c : escaped) {
    FUZZ_CHECK(c == '%' || !NeedsEscape(static_cast<unsigned char>(c)), escaped);
  }
  absl::StatusOr<std::string> back = UnescapeName(escaped);
  FUZZ_CHECK(back.ok() && *back == raw, escaped);

  absl::StatusOr<std::string> unescaped = UnescapeName(raw);
  if (unescaped.ok()) {
    absl::StatusOr<std::string> round = UnescapeName(EscapeName(*unescaped));
    FUZZ_CHECK(round.ok() && *round == *unescaped, raw);
  }
}

void CheckNormalize(std::string_view path) {
  absl::StatusOr<std::string> normalized = NormalizeRelativePath(path);
  if (!normalized.ok()) return;
  const std::string& n = *normalized;
  FUZZ_CHECK(n.find('\0') == std::string::npos, n);
  FUZZ_CHECK(n.empty() || n.front() != '/', n);
  std::size_t start = 0;
  while (!n.empty() && start <= n.size()) {
    std::size_t end = n.find('/', start);
    if (end == std::string::npos) end = n.size();
    const std::string_view component(n.data() + start, end - start);
    FUZZ_CHECK(!component.empty() && component != "." && component != "..", n);
    start = end + 1;
  }
  absl::StatusOr<std::string> again = NormalizeRelativePath(n);
  FUZZ_CHECK(again.ok() && *again == n, n);
  if (!n.empty()) {
    const PathParts parts = SplitLastComponent(n);
    FUZZ_CHECK(!parts.name.empty(), n);
    FUZZ_CHECK((parts.directory.empty() ? parts.name : parts.directory + "/" + parts.name) == n, n);
  }
}

void CheckListEntry(std::string_view line) {
  absl::StatusOr<ListEntry> entry = ParseListEntry(line);
  if (!entry.ok()) return;
  const std::string formatted = FormatListEntry(*entry);
  absl::StatusOr<ListEntry> again = ParseListEntry(WithoutLf(formatted));
  FUZZ_CHECK(again.ok() && *again == *entry, formatted);
}

void CheckReply(std::string_view line) {
  absl::StatusOr<Reply> reply = ParseReply(line);
  if (reply.ok() && reply->kind == Reply::Kind::kError) {
    FUZZ_CHECK(reply->code >= 100 && reply->code <= 999, line);
  }
  const std::string error =
      ErrorLine(absl::PermissionDeniedError(std::string(line.substr(0, 512))));
  const std::string_view one_line = WithoutLf(error);
  for (char c : one_line) {
    FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, error);
  }
  absl::StatusOr<Reply> parsed = ParseReply(one_line);
  FUZZ_CHECK(parsed.ok() && parsed->kind == Reply::Kind::kError && parsed->code == 403, error);
  FUZZ_CHECK(StatusFromReply(*parsed).code() == absl::StatusCode::kPermissionDenied, error);
}

}  // namespace
}  // namespace corral::protocols::file

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::protocols::file;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  CheckRequest(line);
  CheckEscaping(line);
  CheckNormalize(line);
  // What the session normalises: a request's unescaped path.
  if (absl::StatusOr<Request> request = ParseRequest(line); request.ok()) {
    CheckNormalize(request->path);
  }
  CheckListEntry(line);
  CheckReply(line);
  return 0;
}
