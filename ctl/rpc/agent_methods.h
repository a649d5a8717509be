// The corral.v1 API's methods as corralctl calls them: each gRPC path ("/package.Service/Method")
// tied to its request and response types, so a call with the wrong message does not compile. A
// test checks every path and type against the descriptors generated from proto/corral/v1/.
#pragma once

#include "corral/v1/agent.pb.h"
#include "corral/v1/stats.pb.h"

namespace corral::ctl::rpc {

// An rpc with one request and one response.
template <typename RequestT, typename ResponseT>
struct UnaryMethod {
  using Request = RequestT;
  using Response = ResponseT;
  const char* path;
};

// An rpc with one request and a stream of responses.
template <typename RequestT, typename ResponseT>
struct StreamingMethod {
  using Request = RequestT;
  using Response = ResponseT;
  const char* path;
};

inline constexpr UnaryMethod<v1::StartRequest, v1::StartResponse> kStart{"/corral.v1.Agent/Start"};
inline constexpr UnaryMethod<v1::StopRequest, v1::StopResponse> kStop{"/corral.v1.Agent/Stop"};
inline constexpr UnaryMethod<v1::RestartRequest, v1::RestartResponse> kRestart{
    "/corral.v1.Agent/Restart"};
inline constexpr UnaryMethod<v1::RemoveRequest, v1::RemoveResponse> kRemove{
    "/corral.v1.Agent/Remove"};
inline constexpr UnaryMethod<v1::ListRequest, v1::ListResponse> kList{"/corral.v1.Agent/List"};
inline constexpr UnaryMethod<v1::GetRequest, v1::GetResponse> kGet{"/corral.v1.Agent/Get"};
inline constexpr StreamingMethod<v1::WatchEventsRequest, v1::Event> kWatchEvents{
    "/corral.v1.Agent/WatchEvents"};
inline constexpr StreamingMethod<v1::TailLogsRequest, v1::LogLines> kTailLogs{
    "/corral.v1.Agent/TailLogs"};
inline constexpr UnaryMethod<v1::GetStatsRequest, v1::StatsReport> kGetStats{
    "/corral.v1.Stats/GetStats"};
inline constexpr StreamingMethod<v1::WatchStatsRequest, v1::StatsReport> kWatchStats{
    "/corral.v1.Stats/WatchStats"};

}  // namespace corral::ctl::rpc
