// CheckAgentSocket on real files: a missing socket, a file that is not one, a home or socket that
// is not ours (a planted /tmp/corral-$UID), and a socket we may not open (checked as another
// uid in a forked child, since root passes every permission check).
#include "ctl/agent_socket_check.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "base/unique_fd.h"

namespace corral::ctl {
namespace {

constexpr uid_t kNobody = 65534;

class AgentSocketCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/corral-socket-check-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    home_ = dir;
    socket_ = home_ + "/agent.sock";
  }
  void TearDown() override { std::system(("rm -rf " + home_).c_str()); }

  // A bound unix socket at socket_ (its listener is closed again: the file stays).
  void MakeSocket() {
    base::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socket_.copy(address.sun_path, sizeof address.sun_path - 1);
    ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }

  std::string home_, socket_;
};

TEST_F(AgentSocketCheckTest, OurSocketInOurHomePasses) {
  MakeSocket();
  EXPECT_TRUE(CheckAgentSocket(socket_, home_).ok());
  EXPECT_TRUE(CheckAgentSocket(socket_, "").ok());
}

TEST_F(AgentSocketCheckTest, NoSocketIsUnavailableNamingIt) {
  absl::Status status = CheckAgentSocket(socket_, home_);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "connect to unix:" + socket_ + ": no such file or directory");
  EXPECT_EQ(CheckAgentSocket(socket_, home_ + "/missing").code(), absl::StatusCode::kUnavailable);
}

TEST_F(AgentSocketCheckTest, AFileThatIsNotASocketIsRefused) {
  ASSERT_EQ(std::system(("touch " + socket_).c_str()), 0);
  absl::Status status = CheckAgentSocket(socket_, "");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("not a socket"), std::string::npos) << status;
}

TEST_F(AgentSocketCheckTest, AHomeOthersMayWriteIsRefused) {
  MakeSocket();
  ASSERT_EQ(::chmod(home_.c_str(), 0777), 0);
  absl::Status status = CheckAgentSocket(socket_, home_);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(status.message().find("chmod 0700"), std::string::npos) << status;
  // An address the operator named is used as named.
  EXPECT_TRUE(CheckAgentSocket(socket_, "").ok());
}

TEST_F(AgentSocketCheckTest, AHomeThatIsASymlinkIsRefused) {
  MakeSocket();
  const std::string link = home_ + "-link";
  ASSERT_EQ(::symlink(home_.c_str(), link.c_str()), 0);
  absl::Status status = CheckAgentSocket(link + "/agent.sock", link);
  ::unlink(link.c_str());
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(status.message().find("not a directory"), std::string::npos) << status;
}

TEST_F(AgentSocketCheckTest, AHomeOrSocketOfAnotherUserIsRefused) {
  MakeSocket();
  if (::getuid() == 0) {
    // Root can give the socket away: a socket planted by another user in our own home.
    ASSERT_EQ(::lchown(socket_.c_str(), kNobody, kNobody), 0);
    absl::Status planted_socket = CheckAgentSocket(socket_, home_);
    EXPECT_EQ(planted_socket.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_NE(planted_socket.message().find("belongs to uid 65534"), std::string::npos)
        << planted_socket;
    ASSERT_EQ(::chown(home_.c_str(), kNobody, kNobody), 0);
  } else {
    home_ = "/usr";  // a directory root owns: as good as planted, for anyone but root
    socket_ = "/usr/agent.sock";
  }
  absl::Status planted_home = CheckAgentSocket(socket_, home_);
  EXPECT_EQ(planted_home.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(planted_home.message().find("refusing home"), std::string::npos) << planted_home;
}

// As uid 65534 in a child: a root socket of mode 0600 in an open directory is "permission denied"
// with its owner and mode, not "is the agent running?".
TEST_F(AgentSocketCheckTest, ASocketWeMayNotOpenSaysWhoseItIs) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to check as another uid";
  MakeSocket();
  ASSERT_EQ(::chmod(home_.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(socket_.c_str(), 0600), 0);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    if (::setgroups(0, nullptr) != 0 || ::setresgid(kNobody, kNobody, kNobody) != 0 ||
        ::setresuid(kNobody, kNobody, kNobody) != 0) {
      ::_exit(2);
    }
    absl::Status status = CheckAgentSocket(socket_, "");
    const std::string text =
        std::to_string(static_cast<int>(status.code())) + " " + std::string(status.message());
    (void)!::write(pipe_fds[1], text.data(), text.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(pipe_fds[0]);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;
  EXPECT_EQ(text, std::to_string(static_cast<int>(absl::StatusCode::kPermissionDenied)) +
                      " permission denied on " + socket_ +
                      " (owned by uid 0, mode 0600): ask its owner, or use --agent for your own "
                      "agent");
}

TEST(AgentSocketPath, ReadsGrpcUnixTargets) {
  EXPECT_EQ(UnixSocketPath("unix:/run/a.sock"), "/run/a.sock");
  EXPECT_EQ(UnixSocketPath("unix:rel/a.sock"), "rel/a.sock");
  EXPECT_EQ(UnixSocketPath("unix:///run/a.sock"), "/run/a.sock");
  EXPECT_EQ(UnixSocketPath("127.0.0.1:5000"), "");
}

}  // namespace
}  // namespace corral::ctl
