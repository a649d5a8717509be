// Where corral-agent's own log lines go. In the foreground: stderr, each line stamped by spdlog.
// As a daemon (--daemon): HOME/agent.log through the RotatingLog of corral-logger, so the file
// has the server logs' format (one UTC timestamp per line, then "[level] message") and their
// size rotation (agent.log.1, ...); ReopenAgentLog on SIGHUP starts a new file after logrotate
// moved the old one. Both install spdlog's default logger; call once, before any thread logs.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace corral::agent {

// The daemon's log file inside `home`.
std::string AgentLogPath(const std::string& home);

// spdlog's default logger writes to stderr.
void LogToStderr();

// spdlog's default logger writes to AgentLogPath(home), rotated past `max_bytes` keeping
// `keep_files` old files. Fails (naming the file) when it cannot be opened for writing.
absl::Status LogToFile(const std::string& home, uint64_t max_bytes, uint32_t keep_files);

// After LogToFile: closes the file, so that the next line creates AgentLogPath anew. Thread-safe
// and cheap (the reopen happens at the next line); a no-op for the stderr logger.
void ReopenAgentLog();

}  // namespace corral::agent
