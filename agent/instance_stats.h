// Statistics of a server with several instances (spec.instances, issue 21 item 5): each
// corral-server instance fills in a scoreboard of its own (instance 0 at HOME/servers/NAME/
// scoreboard, instance I at HOME/servers/NAME/instance-I/scoreboard), is sampled on its own,
// and the agent sums the samples into the server's figures, keeping each beside them.
// Pure functions; the agent calls them in the loop thread.
#pragma once

#include <string>
#include <vector>

#include "corral/v1/server.pb.h"
#include "corral/v1/stats.pb.h"

namespace corral::agent {

// Where instance `index` of server `name` keeps its scoreboard.
std::string InstanceScoreboardPath(const std::string& home, const std::string& name,
                                   uint32_t index);

// `server` as seen by one of its instances: its pid, start time, state and restarts in the
// server's fields, so a sampler made for one process samples it.
v1::Server InstanceView(const v1::Server& server, const v1::Instance& instance);

// One scoreboard of a server and what to sample it as: the server itself, or, with several
// instances, each instance (`key` NAME#INDEX, `view` its InstanceView).
struct StatsUnit {
  std::string key;
  std::string scoreboard_path;
  v1::Server view;
};
std::vector<StatsUnit> StatsUnitsOf(const std::string& home, const v1::Server& server);

// The server's figures from its units' stats, as StatsUnitsOf listed them: the one unit's
// stats, or SumInstanceStats of several.
v1::ServerStats CombineUnitStats(const v1::Server& server, std::vector<v1::ServerStats> units);

// The server's figures from its instances' samples (in index order): sums of counters, rates,
// gauges and process usage, latency merged conservatively (see stats.proto), the supervision
// fields from `server`, and the samples themselves in `instances`.
v1::ServerStats SumInstanceStats(const v1::Server& server, std::vector<v1::ServerStats> samples);

}  // namespace corral::agent
