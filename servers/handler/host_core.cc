#include "servers/handler/host_core.h"

#include <array>
#include <cstring>

#include "servers/handler/effective_deadline.h"
#include "servers/handler/handler_conn.h"
#include "servers/handler/host_streams.h"
#include "spdlog/spdlog.h"

namespace corral::handler {
namespace {

// Written once before any worker starts, read by every worker after: no lock needed.
std::array<char, 64> log_name = {"handler"};

corral_deadline Now() { return NowNs(); }

void Log(corral_conn* conn, int level, const char* message) {
  if (message == nullptr) return;
  spdlog::level::level_enum spd_level = level == CORRAL_LOG_ERROR     ? spdlog::level::err
                                        : level == CORRAL_LOG_WARNING ? spdlog::level::warn
                                                                      : spdlog::level::info;
  if (conn != nullptr) {
    char peer[64];
    PeerOf(conn, peer, sizeof peer);
    spdlog::log(spd_level, "{}: {}: {}", log_name.data(), peer, message);
  } else {
    spdlog::log(spd_level, "{}: {}", log_name.data(), message);
  }
}

void CountRequest(corral_conn* conn, int64_t latency_ns) {
  // A datagram is one request, counted by the host whatever the handler says.
  if (conn == nullptr || conn->stream == nullptr) return;
  conn->handler_counts = true;
  if (conn->stats != nullptr) conn->stats->OnRequest(latency_ns > 0 ? latency_ns : 0);
}

void CountError(corral_conn* conn) {
  if (conn != nullptr && conn->stats != nullptr) conn->stats->OnError(stats::ErrorKind::kProtocol);
}

}  // namespace

void SetLogName(std::string_view name) {
  size_t n = std::min(name.size(), log_name.size() - 1);
  std::memcpy(log_name.data(), name.data(), n);
  log_name[n] = '\0';
}

void FillCore(corral_host* host) {
  host->now = Now;
  host->log = Log;
  host->count_request = CountRequest;
  host->count_error = CountError;
}

}  // namespace corral::handler
