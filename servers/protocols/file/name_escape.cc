#include "servers/protocols/file/name_escape.h"

#include "absl/strings/str_cat.h"
#include "base/hex.h"

namespace corral::protocols::file {
namespace {}  // namespace

bool NeedsEscape(unsigned char byte) {
  return byte <= 0x20 || byte == 0x7F || byte == '%' || byte == '"';
}

std::string EscapeName(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    unsigned char byte = static_cast<unsigned char>(c);
    if (NeedsEscape(byte)) {
      out.push_back('%');
      out.push_back(base::kUpperHexDigits[byte >> 4]);
      out.push_back(base::kUpperHexDigits[byte & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<std::string> UnescapeName(std::string_view escaped) {
  std::string out;
  out.reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    char c = escaped[i];
    if (c == '%') {
      bool complete = i + 2 < escaped.size();
      int high = complete ? base::HexValue(escaped[i + 1]) : -1;
      int low = complete ? base::HexValue(escaped[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad escape at byte ", i, ": '%' must be followed by two hex digits"));
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
      continue;
    }
    unsigned char byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F) {
      return absl::InvalidArgumentError(
          absl::StrCat("unescaped control character or space at byte ", i));
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace corral::protocols::file
