// Suggest: the word a user probably meant ("lss" -> "ls"), for unknown commands and flags.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace corral::ctl {

// Edits (insertions, deletions, substitutions, swaps of two neighbours) from `a` to `b`.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, or "" when none is close: within 1 edit for a word of up to
// four characters, 2 for a longer one, so that a short word is not matched to any other short
// one. Among equally close ones: the same word in another case, then one that begins with
// `word`, then the earlier.
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace corral::ctl
