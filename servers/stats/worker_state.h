#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace corral::stats {

// What a worker slot's owner is doing right now, as shown by the agent (Apache's scoreboard
// letters). Stored as uint32_t in shared memory: values are part of the file layout, never
// renumber them.
enum class WorkerState : uint32_t {
  kFree = 0,       // no owner; the slot may be claimed
  kIdle = 1,       // owned, waiting for a connection or datagram
  kReading = 2,    // reading a request
  kWriting = 3,    // writing a response
  kKeepAlive = 4,  // connection open between requests
};
inline constexpr size_t kWorkerStateCount = 5;

// Busy means tied to a client: reading, writing or holding a keep-alive connection.
constexpr bool IsBusy(WorkerState s) {
  return s == WorkerState::kReading || s == WorkerState::kWriting || s == WorkerState::kKeepAlive;
}

constexpr std::string_view WorkerStateName(WorkerState s) {
  switch (s) {
    case WorkerState::kFree:
      return "free";
    case WorkerState::kIdle:
      return "idle";
    case WorkerState::kReading:
      return "reading";
    case WorkerState::kWriting:
      return "writing";
    case WorkerState::kKeepAlive:
      return "keepalive";
  }
  return "unknown";
}

// The listening side of the server, one per scoreboard.
enum class ListenerState : uint32_t {
  kStarting = 0,   // scoreboard created, not yet accepting
  kAccepting = 1,  // serving
  kDraining = 2,   // graceful stop: no new connections, finishing the open ones
  kStopped = 3,    // all workers done
};

constexpr std::string_view ListenerStateName(ListenerState s) {
  switch (s) {
    case ListenerState::kStarting:
      return "starting";
    case ListenerState::kAccepting:
      return "accepting";
    case ListenerState::kDraining:
      return "draining";
    case ListenerState::kStopped:
      return "stopped";
  }
  return "unknown";
}

}  // namespace corral::stats
