// The Prometheus text exposition format (version 0.0.4) of the servers' live figures, as the
// agent serves them on --metrics-listen. Pure: a function of the samples, unit-tested.
//
// Every series is labelled server="NAME",protocol="tcp-echo",model="thread". Counters are the
// scoreboard's cumulative counts (they restart from zero with the server process, which
// Prometheus's rate() treats as a counter reset). Latency is a histogram in seconds whose `le`
// bounds are snapped to the scoreboard's bucket bounds, so every bucket count is exact.
#pragma once

#include <string>
#include <vector>

#include "corral/v1/stats.pb.h"
#include "servers/stats/histogram.h"

namespace corral::agent {

struct PrometheusServer {
  const v1::ServerStats* stats = nullptr;             // required
  const stats::HistogramSnapshot* latency = nullptr;  // lifetime; null: no latency series
};

// The `le` bounds of the latency histogram, nanoseconds, ascending (each a bucket upper bound).
std::vector<uint64_t> PrometheusLatencyBoundsNs();

// The whole exposition: HELP and TYPE once per family, then one line per server (and bucket).
std::string RenderPrometheus(const std::vector<PrometheusServer>& servers);

// `value` with backslash, double quote and newline escaped, for a label value.
std::string EscapeLabelValue(const std::string& value);

}  // namespace corral::agent
