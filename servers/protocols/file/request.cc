#include "servers/protocols/file/request.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "servers/protocols/file/decimal.h"
#include "servers/protocols/file/name_escape.h"

namespace corral::protocols::file {
namespace {

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

bool IsVerb(std::string_view field, const char* verb) {
  return absl::EqualsIgnoreCase(std::string(field), verb);
}

absl::Status Usage(std::string_view usage) {
  return absl::InvalidArgumentError(absl::StrCat("usage: ", std::string(usage)));
}

absl::StatusOr<std::string> PathField(std::string_view field) {
  absl::StatusOr<std::string> path = UnescapeName(field);
  if (!path.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("path \"", EscapeName(field), "\": ", std::string(path.status().message())));
  }
  return path;
}

}  // namespace

absl::StatusOr<Request> ParseRequest(std::string_view line) {
  std::vector<std::string_view> fields = SplitFields(line);
  if (fields.empty()) return absl::InvalidArgumentError("empty request line");
  Request request;
  std::string_view verb = fields[0];
  size_t arguments = fields.size() - 1;
  if (IsVerb(verb, "LIST")) {
    if (arguments > 1) return Usage("LIST [DIR]");
    request.verb = Request::Verb::kList;
  } else if (IsVerb(verb, "GET")) {
    if (arguments != 1) return Usage("GET PATH");
    request.verb = Request::Verb::kGet;
  } else if (IsVerb(verb, "PUT")) {
    if (arguments != 2) return Usage("PUT PATH SIZE");
    request.verb = Request::Verb::kPut;
    std::optional<uint64_t> size = ParseDecimal(fields[2]);
    if (!size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "PUT size \"", EscapeName(fields[2].substr(0, 32)), "\" is not a decimal byte count"));
    }
    request.size = *size;
  } else if (IsVerb(verb, "QUIT")) {
    if (arguments != 0) return Usage("QUIT");
    request.verb = Request::Verb::kQuit;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown command \"",
                                                   EscapeName(verb.substr(0, 32)),
                                                   "\" (expected LIST, GET, PUT or QUIT)"));
  }
  if (arguments >= 1 && request.verb != Request::Verb::kQuit) {
    absl::StatusOr<std::string> path = PathField(fields[1]);
    if (!path.ok()) return path.status();
    request.path = *std::move(path);
  }
  return request;
}

std::string FormatRequest(const Request& request) {
  switch (request.verb) {
    case Request::Verb::kList:
      if (request.path.empty()) return "LIST\n";
      return absl::StrCat("LIST ", EscapeName(request.path), "\n");
    case Request::Verb::kGet:
      return absl::StrCat("GET ", EscapeName(request.path), "\n");
    case Request::Verb::kPut:
      return absl::StrCat("PUT ", EscapeName(request.path), " ", request.size, "\n");
    case Request::Verb::kQuit:
      break;
  }
  return "QUIT\n";
}

}  // namespace corral::protocols::file
