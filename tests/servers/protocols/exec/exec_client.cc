#include "tests/servers/protocols/exec/exec_client.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

using Clock = std::chrono::steady_clock;

int MsLeft(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Whether a process of `group` is alive: a zombie is not (an orphan's zombie waits for init,
// which here may reap it only seconds later).
bool GroupHasLiveMember(pid_t group) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so parse from its closing paren.
    size_t paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream rest(line.substr(paren + 1));
    char state = 0;
    pid_t parent = 0, pgrp = 0;
    rest >> state >> parent >> pgrp;
    if (pgrp == group && state != 'Z' && state != 'X') return true;
  }
  return false;
}

}  // namespace

ScriptDir::ScriptDir() {
  char pattern[] = "/tmp/corral-exec-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScriptDir::~ScriptDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ScriptDir::Write(const std::string& name, const std::string& body, bool executable) {
  std::string file = path_ + "/" + name;
  std::ofstream(file) << "#!/bin/sh\n" << body;
  ::chmod(file.c_str(), executable ? 0755 : 0644);
  return file;
}

std::string SendAndReadToEnd(int fd, const std::string& text, bool* closed,
                             std::chrono::milliseconds timeout) {
  *closed = false;
  if (!text.empty() &&
      ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) {
    return "";
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  std::string got;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      got.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      *closed = true;  // the end, or a reset
      return got;
    }
    pollfd pfd{fd, POLLIN, 0};
    if (MsLeft(deadline) == 0 || ::poll(&pfd, 1, MsLeft(deadline)) == 0) return got;
  }
}

std::string ReadLine(int fd, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::string line;
  for (;;) {
    char c;
    ssize_t n = ::recv(fd, &c, 1, 0);
    if (n == 1) {
      if (c == '\n') return line;
      line.push_back(c);
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) return "";
    pollfd pfd{fd, POLLIN, 0};
    if (MsLeft(deadline) == 0 || ::poll(&pfd, 1, MsLeft(deadline)) == 0) return "";
  }
}

bool GroupGone(pid_t group, std::chrono::milliseconds timeout) {
  return WaitFor([group] { return !GroupHasLiveMember(group); }, timeout);
}

}  // namespace corral::testing
