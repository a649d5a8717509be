// How corralctl shows live statistics to a person: the block of `stats`, the lines of `watch`,
// and the rows of `top` with its sort keys. Pure functions of the proto, unit-tested with fixed
// inputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "corral/v1/stats.pb.h"

namespace corral::ctl {

// "0 B", "512 B", "1.5 KiB", "12.0 MiB".
std::string HumanBytes(double bytes);
// "0", "12.5", "1.2k", "3.4M": a per-second rate.
std::string HumanRate(double per_second);
// "-" for 0, "850ns", "12.3us", "1.25ms", "2.10s".
std::string HumanNanos(uint64_t ns);

// Several "field: value" lines, then a table of the worker slots ever used when the stats
// carry them.
std::string FormatStatsBlock(const v1::ServerStats& stats);

// `watch`: a header, then one line per sample.
std::string FormatWatchHeader();
std::string FormatWatchLine(const v1::StatsReport& report, const v1::ServerStats& stats);

// The columns `top` can sort by, and the key that selects each.
enum class TopSort {
  kName,
  kState,
  kConnections,
  kRequests,
  kBytes,
  kLatency,
  kErrors,
  kCpu,
  kRss,
  kRestarts,
  kUptime
};
struct TopSortKey {
  char key;
  TopSort sort;
  const char* label;  // as in the help line
};
const std::vector<TopSortKey>& TopSortKeys();
// The sort selected by `key`, or false when `key` selects none.
bool TopSortForKey(char key, TopSort* sort);

// `servers` sorted for `top`: numeric columns largest first, name and state ascending; ties by
// name.
std::vector<v1::ServerStats> SortForTop(std::vector<v1::ServerStats> servers, TopSort sort);

// The table of `top`: a header line then one line per server (in the given order), aligned,
// each cut to `width` columns (0: not cut). No trailing newlines.
std::vector<std::string> FormatTopTable(const std::vector<v1::ServerStats>& servers, TopSort sort,
                                        size_t width);

// `lines` cut to a screen of `rows` rows: when some do not fit, the last row says how many
// (so a person knows the table goes on), cut to `width` columns (0: not cut).
std::vector<std::string> FitToScreen(std::vector<std::string> lines, size_t rows, size_t width);

// The help line: "sort: n name  s state ... (current marked with *)  q quit".
std::string FormatTopHelp(TopSort sort);

}  // namespace corral::ctl
