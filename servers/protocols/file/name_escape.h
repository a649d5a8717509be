// Escaping of file names and paths on the wire, so that no name can break the line framing or
// the space-separated fields: a name with a newline, a space or a terminal escape in it travels
// as plain printable text. The same escaping is used for request paths and LIST names.
//
// Rule: the bytes 0x00-0x20 (controls and space), 0x7F (DEL), '%' and '"' travel as "%XX"
// (two upper-case hex digits); every other byte, including UTF-8 sequences, travels as itself.
// Unescaping also accepts lower-case hex digits and literal bytes that need no escape.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace corral::protocols::file {

// True when `byte` must be written as %XX.
bool NeedsEscape(unsigned char byte);

std::string EscapeName(std::string_view raw);

// INVALID_ARGUMENT when a '%' is not followed by two hex digits, or when the text holds a byte
// that must have been escaped (a raw control character or space): such text did not come from
// EscapeName and the request is malformed.
absl::StatusOr<std::string> UnescapeName(std::string_view escaped);

}  // namespace corral::protocols::file
