#include "servers/protocols/file/list_entry.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "servers/protocols/file/decimal.h"
#include "servers/protocols/file/name_escape.h"

namespace corral::protocols::file {
namespace {

absl::Status Malformed(std::string_view line, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "malformed LIST line \"", EscapeName(line.substr(0, 80)), "\": ", std::string(why)));
}

}  // namespace

std::string_view TypeName(ListEntry::Type type) {
  switch (type) {
    case ListEntry::Type::kFile:
      return "file";
    case ListEntry::Type::kDirectory:
      return "dir";
    case ListEntry::Type::kOther:
      break;
  }
  return "other";
}

std::string FormatListEntry(const ListEntry& entry) {
  return absl::StrCat(std::string(TypeName(entry.type)), " ", entry.size, " ",
                      EscapeName(entry.name), "\n");
}

absl::StatusOr<ListEntry> ParseListEntry(std::string_view line) {
  size_t first = line.find(' ');
  size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos) return Malformed(line, "expected TYPE SIZE NAME");
  ListEntry entry;
  std::string_view type = line.substr(0, first);
  if (type == "file") {
    entry.type = ListEntry::Type::kFile;
  } else if (type == "dir") {
    entry.type = ListEntry::Type::kDirectory;
  } else if (type == "other") {
    entry.type = ListEntry::Type::kOther;
  } else {
    return Malformed(line, "unknown type");
  }
  std::optional<uint64_t> size = ParseDecimal(line.substr(first + 1, second - first - 1));
  if (!size) return Malformed(line, "size is not a decimal number");
  entry.size = *size;
  std::string_view escaped = line.substr(second + 1);
  if (escaped.empty()) return Malformed(line, "empty name");
  absl::StatusOr<std::string> name = UnescapeName(escaped);
  if (!name.ok()) return Malformed(line, std::string(name.status().message()));
  entry.name = *std::move(name);
  return entry;
}

}  // namespace corral::protocols::file
