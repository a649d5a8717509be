#include "ctl/suggest.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "absl/strings/match.h"

namespace corral::ctl {

// Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a
// substring): enough for typos, and "sotp" is one edit from "stop", not two.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  const size_t allowed = word.size() <= 4 ? 1 : 2;
  std::string best;
  // Distance first; among equals, the same word in another case ("-v" -> "-V", not "-h"), then
  // one the word begins ("stat" -> "stats", not "start").
  using Rank = std::tuple<size_t, bool, bool>;
  Rank best_rank{std::numeric_limits<size_t>::max(), true, true};
  for (const std::string& candidate : candidates) {
    const size_t distance = EditDistance(word, candidate);
    const Rank rank{distance,
                    !absl::EqualsIgnoreCase(absl::string_view(word.data(), word.size()), candidate),
                    !candidate.starts_with(word)};
    if (distance <= allowed && rank < best_rank) {
      best = candidate;
      best_rank = rank;
    }
  }
  return best;
}

}  // namespace corral::ctl
