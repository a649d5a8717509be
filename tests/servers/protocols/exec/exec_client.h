// What the exec protocol's tests share: shell-script programs written to a temporary
// directory, and a client that reads a program's reply up to the connection's end.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace corral::testing {

// A temporary directory, removed with everything in it on destruction.
class ScriptDir {
 public:
  ScriptDir();
  ~ScriptDir();
  ScriptDir(const ScriptDir&) = delete;
  ScriptDir& operator=(const ScriptDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `body` after a "#!/bin/sh" line to `name` (mode 0755, or 0644 when not
  // `executable`) and returns its path.
  std::string Write(const std::string& name, const std::string& body, bool executable = true);

 private:
  std::string path_;
};

// On the non-blocking socket `fd`: sends `text` (if any), then reads until the peer closes or
// `timeout` passes. `closed` tells which.
std::string SendAndReadToEnd(int fd, const std::string& text, bool* closed,
                             std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Reads one '\n'-ended line (without it) from the non-blocking socket `fd`; "" after `timeout`.
std::string ReadLine(int fd, std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Waits up to `timeout` until no live process (zombies aside) is left in process group `group`.
bool GroupGone(pid_t group, std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace corral::testing
