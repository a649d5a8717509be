#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

// String helpers over std::string_view. Debian's Abseil 20220623 is built with its own
// absl::string_view (ABSL_USES_STD_STRING_VIEW is 0), so absl::StrCat, absl::EqualsIgnoreCase
// and friends do not accept std::string_view; these few replacements keep the HTTP code on
// std::string_view without conversions at every call.
namespace corral::http {

constexpr char AsciiToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// ASCII case-insensitive equality, as HTTP field names and tokens compare.
constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiToLower(a[i]) != AsciiToLower(b[i])) return false;
  }
  return true;
}

// Wraps an unsigned number for lower-case hexadecimal formatting in StrCat/StrAppend.
struct Hex {
  std::uint64_t value;
};

// One argument of StrCat/StrAppend: text, or an integer formatted in a small inline buffer
// (so formatting never allocates). Lives only for the call it is an argument of.
class TextPiece {
 public:
  TextPiece(std::string_view text) : view_(text) {}    // NOLINT: implicit by design
  TextPiece(const char* text) : view_(text) {}         // NOLINT
  TextPiece(const std::string& text) : view_(text) {}  // NOLINT
  template <typename Int, std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool> &&
                                               !std::is_same_v<Int, char>,
                                           int> = 0>
  TextPiece(Int value) {  // NOLINT
    view_ = Format(std::to_chars(buffer_, buffer_ + sizeof(buffer_), value));
  }
  TextPiece(Hex hex) {  // NOLINT
    view_ = Format(std::to_chars(buffer_, buffer_ + sizeof(buffer_), hex.value, 16));
  }

  TextPiece(const TextPiece&) = delete;
  TextPiece& operator=(const TextPiece&) = delete;

  std::string_view view() const { return view_; }

 private:
  std::string_view Format(std::to_chars_result result) {
    return std::string_view(buffer_, static_cast<std::size_t>(result.ptr - buffer_));
  }

  char buffer_[24];  // enough for any 64-bit integer in decimal, with sign
  std::string_view view_;
};

// Appends every piece to *out. Allocates only if *out must grow.
template <typename... Pieces>
void StrAppend(std::string* out, const Pieces&... pieces) {
  (out->append(TextPiece(pieces).view()), ...);
}

template <typename... Pieces>
std::string StrCat(const Pieces&... pieces) {
  std::string out;
  StrAppend(&out, pieces...);
  return out;
}

}  // namespace corral::http
