// Strict decimal numbers for the wire (sizes and counts): digits only, no sign, no spaces, no
// leading "+", at most the range of uint64_t. Stricter than strtoull on purpose: "12abc",
// "-1" or " 7" in a size field is a malformed request, not a number.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace corral::protocols::file {

std::optional<uint64_t> ParseDecimal(std::string_view text);

}  // namespace corral::protocols::file
