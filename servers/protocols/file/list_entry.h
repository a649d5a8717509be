// One line of a LIST reply: "TYPE SIZE NAME", TYPE one of file / dir / other, SIZE in bytes
// (0 for anything but a regular file), NAME escaped as in name_escape.h so that a name holding
// a newline, a space or a control character cannot break the framing. The server formats,
// the client parses: one piece of code for both ends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace corral::protocols::file {

struct ListEntry {
  enum class Type { kFile, kDirectory, kOther };
  Type type = Type::kOther;
  uint64_t size = 0;
  std::string name;  // raw bytes, unescaped

  friend bool operator==(const ListEntry&, const ListEntry&) = default;
};

std::string_view TypeName(ListEntry::Type type);

// The line, LF included.
std::string FormatListEntry(const ListEntry& entry);

// `line` without its LF. INVALID_ARGUMENT for anything FormatListEntry cannot have produced.
absl::StatusOr<ListEntry> ParseListEntry(std::string_view line);

}  // namespace corral::protocols::file
