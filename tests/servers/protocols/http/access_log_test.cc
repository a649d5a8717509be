#include "servers/protocols/http/access_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace corral::http {
namespace {

using std::chrono::microseconds;

// What is waiting in the pipe's read end (non-blocking).
std::string Drain(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

class AccessLogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::pipe2(pipe_, O_NONBLOCK | O_CLOEXEC), 0); }
  void TearDown() override {
    ::close(pipe_[0]);
    ::close(pipe_[1]);
  }
  int pipe_[2];
};

TEST_F(AccessLogTest, WritesOneLinePerRequest) {
  std::unique_ptr<AccessLog> log = AccessLog::Open(pipe_[1]);
  log->Write("GET", "/index.html?x=1", 200, 612, microseconds(143));
  log->Write("", "", 400, 11, microseconds(0));
  EXPECT_EQ(Drain(pipe_[0]),
            "access GET /index.html?x=1 200 612 143us\n"
            "access - - 400 11 0us\n");
}

TEST_F(AccessLogTest, CutsLongTargetsAndHidesControlBytes) {
  std::unique_ptr<AccessLog> log = AccessLog::Open(pipe_[1]);
  log->Write("GET", "/a b\n" + std::string(5000, 'x'), 404, 0, microseconds(7));
  std::string line = Drain(pipe_[0]);
  EXPECT_EQ(line.rfind("access GET /a?b?xxx", 0), 0u) << line;
  EXPECT_NE(line.find("x... 404 0 7us\n"), std::string::npos) << line;
  EXPECT_LT(line.size(), AccessLog::kMaxTarget + 64);
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
}

TEST_F(AccessLogTest, DropsAndCountsLinesRatherThanBlockOnAFullPipe) {
  // The write end is blocking in this process; the log's own description must not be.
  ASSERT_EQ(::fcntl(pipe_[1], F_SETFL, 0), 0);
  std::unique_ptr<AccessLog> log = AccessLog::Open(pipe_[1]);
  const int lines = 10'000;  // far more than a 64 KiB pipe holds
  for (int i = 0; i < lines; ++i) log->Write("GET", "/", 200, 1, microseconds(1));
  EXPECT_GT(log->dropped(), 0u);
  Drain(pipe_[0]);
  log->Write("GET", "/after", 200, 1, microseconds(1));
  std::string line = Drain(pipe_[0]);
  EXPECT_EQ(line.rfind("[", 0), 0u) << line;
  EXPECT_NE(line.find(" access lines dropped] access GET /after 200"), std::string::npos) << line;
  EXPECT_EQ(log->dropped(), 0u);
}

}  // namespace
}  // namespace corral::http
