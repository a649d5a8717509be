#include "agent/rollout_gate.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "servers/stats/interval.h"

namespace corral::agent {
namespace {

std::string Percent(double fraction) {
  const double percent = fraction * 100;
  return percent >= 10 || percent == 0 ? absl::StrFormat("%.0f %%", percent)
                                       : absl::StrFormat("%.2g %%", percent);
}

}  // namespace

std::string FormatLatencyMs(uint64_t ns) {
  const double ms = static_cast<double>(ns) / 1e6;
  if (ms >= 10) return absl::StrFormat("%.0f ms", ms);
  if (ms >= 1) return absl::StrFormat("%.1f ms", ms);
  return absl::StrFormat("%.2f ms", ms);
}

GateVerdict JudgeWindow(const spec::RolloutGates& gates, const stats::Snapshot& base,
                        const stats::Snapshot& cur) {
  GateVerdict verdict;
  const stats::IntervalStats window = stats::ComputeInterval(base, cur);
  if (window.restarted) {
    verdict.pass = false;
    verdict.judged = true;
    verdict.summary = "its process was replaced during the check";
    return verdict;
  }
  const uint64_t requests = window.delta.requests;
  const uint64_t errors = window.delta.total_errors();
  const uint64_t p99_ns = window.interval_latency.p99_ns;
  if (requests < gates.min_requests) {
    verdict.pass = !gates.require_requests;
    verdict.summary =
        absl::StrCat(verdict.pass ? "not judged: " : "", requests, " request(s) in the check, ",
                     "fewer than ", gates.min_requests, " (--min-requests)");
    return verdict;
  }
  verdict.judged = true;
  // A 500 is a request and an error; a reset connection may be an error without a request.
  const double rate = static_cast<double>(errors) / static_cast<double>(std::max(requests, errors));
  if (gates.max_error_rate > 0 && rate > gates.max_error_rate) {
    verdict.pass = false;
    verdict.summary =
        absl::StrCat("error rate ", Percent(rate), " > ", Percent(gates.max_error_rate), " (",
                     errors, " of ", requests, " requests)");
    return verdict;
  }
  if (gates.max_p99_ms > 0 && p99_ns > uint64_t{gates.max_p99_ms} * 1'000'000) {
    verdict.pass = false;
    verdict.summary = absl::StrCat("p99 ", FormatLatencyMs(p99_ns), " > ", gates.max_p99_ms,
                                   " ms (", requests, " requests)");
    return verdict;
  }
  verdict.summary =
      absl::StrCat(requests, " requests, ", errors, " error(s), p99 ", FormatLatencyMs(p99_ns));
  return verdict;
}

}  // namespace corral::agent
