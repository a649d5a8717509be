#include "tests/servers/models/server_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "servers/net/address.h"
#include "servers/net/polling_stream.h"
#include "servers/readiness.h"

extern char** environ;

namespace corral::testing {

ServerProcess::ServerProcess(const std::vector<std::string>& args) {
  int notify[2];
  if (pipe2(notify, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
  std::vector<std::string> argv = {std::string(CORRAL_BIN_DIR) + "/corral-server"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--notify-fd");
  argv.push_back("3");
  std::vector<char*> c_argv;
  for (std::string& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, notify[1], 3);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  int err = posix_spawn(&pid_, c_argv[0], &actions, nullptr, c_argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(notify[1]);
  if (err != 0) {
    close(notify[0]);
    throw std::runtime_error("spawn corral-server");
  }
  std::string message;
  pollfd pfd{notify[0], POLLIN, 0};
  while (poll(&pfd, 1, 20'000) > 0) {
    char buf[256];
    ssize_t n = read(notify[0], buf, sizeof buf);
    if (n <= 0) break;
    message.append(buf, n);
  }
  close(notify[0]);
  std::optional<Readiness> readiness = ParseReadiness(message);
  if (readiness) {
    ready_ = readiness->ready;
    detail_ = readiness->detail;
  } else {
    detail_ = "no readiness message: \"" + message + "\"";
  }
}

ServerProcess::~ServerProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

int ServerProcess::SignalAndWait(int signal, std::chrono::seconds timeout) {
  kill(pid_, signal);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      reaped_ = true;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

std::vector<pid_t> ServerProcess::Children() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) + "/children");
  std::vector<pid_t> children;
  pid_t child;
  while (in >> child) children.push_back(child);
  return children;
}

base::UniqueFd ConnectTcp(const std::string& address) {
  absl::StatusOr<net::Address> a = net::Address::Parse(address);
  if (!a.ok()) return base::UniqueFd();
  base::UniqueFd fd(::socket(a->family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd || ::connect(fd.get(), a->sockaddr_ptr(), a->length()) != 0) return base::UniqueFd();
  ::fcntl(fd.get(), F_SETFL, O_NONBLOCK);
  return fd;
}

void ExpectCapPausesAcceptingWithoutDropping(const ServerProcess& server,
                                             const std::function<void()>& while_capped) {
  base::UniqueFd a = ConnectTcp(server.detail());
  base::UniqueFd b = ConnectTcp(server.detail());
  ASSERT_EQ(EchoOn(a.get(), "a"), "a");
  ASSERT_EQ(EchoOn(b.get(), "b"), "b");

  // The third connects (the backlog holds it) but is not served while two are.
  base::UniqueFd c = ConnectTcp(server.detail());
  ASSERT_TRUE(c);
  ASSERT_EQ(write(c.get(), "c", 1), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  char byte;
  EXPECT_EQ(recv(c.get(), &byte, 1, MSG_DONTWAIT), -1) << "served beyond the cap";
  if (while_capped) while_capped();

  // When one leaves, the waiting client is served: stalled, never dropped.
  a.Reset();
  net::PollingStream stream(c.get());
  absl::StatusOr<size_t> n = stream.Read(&byte, 1, net::DeadlineAfter(std::chrono::seconds(20)));
  ASSERT_TRUE(n.ok() && *n == 1) << "the waiting client was not served";
  EXPECT_EQ(byte, 'c');
  EXPECT_EQ(EchoOn(b.get(), "still"), "still");
}

std::string EchoOn(int fd, const std::string& message) {
  net::PollingStream stream(fd);
  net::Deadline deadline = net::DeadlineAfter(std::chrono::seconds(30));
  std::string got(message.size(), '\0');
  size_t sent = 0, have = 0;
  // Interleave writing and reading, so a large message cannot deadlock on full buffers.
  while (have < got.size()) {
    if (sent < message.size()) {
      size_t chunk = std::min<size_t>(64 * 1024, message.size() - sent);
      if (!stream.WriteAll(message.data() + sent, chunk, deadline).ok()) return "";
      sent += chunk;
    }
    while (have < sent) {
      absl::StatusOr<size_t> n = stream.Read(got.data() + have, got.size() - have,
                                             sent < message.size() ? net::Clock::now() : deadline);
      if (!n.ok()) {
        if (absl::IsDeadlineExceeded(n.status()) && sent < message.size()) break;
        return "";
      }
      if (*n == 0) return "";
      have += *n;
    }
  }
  return got;
}

std::string UdpRoundTrip(const std::string& address, const std::string& message) {
  absl::StatusOr<net::Address> a = net::Address::Parse(address);
  if (!a.ok()) return "";
  base::UniqueFd fd(::socket(a->family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
  timeval tv{10, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::sendto(fd.get(), message.data(), message.size(), 0, a->sockaddr_ptr(), a->length()) < 0) {
    return "";
  }
  std::string got(70'000, '\0');
  ssize_t n = ::recv(fd.get(), got.data(), got.size(), 0);
  if (n < 0) return "";
  got.resize(n);
  return got;
}

std::string Pattern(size_t size, unsigned seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>((i * 131 + seed * 17 + i / 251) & 0xff);
  return s;
}

}  // namespace corral::testing
