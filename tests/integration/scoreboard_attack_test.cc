// A server process the agent must not trust with its own safety: the real agent runs a real
// server while this test, standing in for a hostile server (same uid, write access to the
// server's directory), rewrites, truncates and replaces the server's scoreboard. The agent must
// keep answering (never crash, never block its loop) and report that server's scoreboard as
// invalid, with the reason, through GetStats and `corralctl stats`.
//
// And a full filesystem at start: the server must fail to start with the reason (FAILED through
// the agent), not die of SIGBUS later when a worker first touches its scoreboard.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/stats_fixture.h"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Puts `bytes` at `path` the way a server publishes its scoreboard (temp file + rename).
void PublishFile(const std::string& path, const std::string& bytes) {
  const std::string temp = path + ".attack";
  std::ofstream(temp, std::ios::binary | std::ios::trunc) << bytes;
  ASSERT_EQ(rename(temp.c_str(), path.c_str()), 0) << strerror(errno);
}

class ScoreboardAttackTest : public StatsTest {
 protected:
  // Starts the agent and a tcp-echo server, and waits for its scoreboard to be read once.
  void StartVictim() {
    StartStatsAgent();
    v1::Server server;
    grpc::Status started = StartEcho("s", "127.0.0.1:0", &server);
    ASSERT_TRUE(started.ok()) << started.error_message();
    ASSERT_EQ(server.state(), v1::STATE_RUNNING) << server.reason();
    path_ = home_ + "/servers/s/scoreboard";
    v1::ServerStats s =
        WaitForStats("s", [](const v1::ServerStats& st) { return st.scoreboard_available(); });
    ASSERT_TRUE(s.scoreboard_available()) << s.unavailable_reason();
    valid_bytes_ = ReadFile(path_);
  }

  // Waits until the stats of "s" say the scoreboard is invalid with a reason containing `reason`,
  // and checks that `corralctl stats s` shows it too.
  void ExpectInvalid(const std::string& reason) {
    v1::ServerStats s = WaitForStats("s", [&](const v1::ServerStats& st) {
      return st.scoreboard_invalid() && absl::StrContains(st.unavailable_reason(), reason);
    });
    EXPECT_TRUE(s.scoreboard_invalid()) << s.DebugString();
    EXPECT_FALSE(s.scoreboard_available());
    EXPECT_THAT(s.unavailable_reason(), HasSubstr(reason));
    EXPECT_THAT(s.unavailable_reason(), HasSubstr(path_));
    EXPECT_EQ(s.state(), v1::STATE_RUNNING);  // the server itself is still supervised as usual
    CommandResult ctl = Ctl({"stats", "s"});
    EXPECT_EQ(ctl.exit_code, 0) << ctl.err;
    EXPECT_THAT(ctl.out, HasSubstr("invalid: "));
    EXPECT_THAT(ctl.out, HasSubstr(reason));
    ASSERT_FALSE(agent_->Exited()) << "the agent died, wait status " << agent_->wait_status();
  }

  // Puts the server's valid scoreboard back and waits until the agent reads it again.
  void Restore() {
    PublishFile(path_, valid_bytes_);
    v1::ServerStats s =
        WaitForStats("s", [](const v1::ServerStats& st) { return st.scoreboard_available(); });
    ASSERT_TRUE(s.scoreboard_available()) << s.unavailable_reason();
    EXPECT_FALSE(s.scoreboard_invalid());
  }

  std::string path_;
  std::string valid_bytes_;
};

TEST_F(ScoreboardAttackTest, EachAttackIsReportedInvalidAndTheAgentCarriesOn) {
  ASSERT_NO_FATAL_FAILURE(StartVictim());

  {
    // Issue 19: 1,000,000 written at byte 20 (slot_count) of the live file; the next
    // `corralctl stats` killed the agent with SIGSEGV.
    const int fd = open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    const uint32_t huge = 1'000'000;
    ASSERT_EQ(pwrite(fd, &huge, sizeof huge, 20), static_cast<ssize_t>(sizeof huge));
    close(fd);
    ExpectInvalid("1000000 slots");
  }
  ASSERT_NO_FATAL_FAILURE(Restore());

  // Truncated in place (a mapping would have raised SIGBUS in the agent).
  ASSERT_EQ(truncate(path_.c_str(), 100), 0);
  ExpectInvalid("truncated or not a scoreboard: file is 100 bytes");
  ASSERT_NO_FATAL_FAILURE(Restore());

  // A FIFO with no writer (opening it without O_NONBLOCK blocks the agent's loop thread).
  ASSERT_EQ(unlink(path_.c_str()), 0);
  ASSERT_EQ(mkfifo(path_.c_str(), 0600), 0);
  ExpectInvalid("is a FIFO");
  ASSERT_NO_FATAL_FAILURE(Restore());

  // A symlink, even to a perfectly valid scoreboard.
  const std::string elsewhere = home_ + "/elsewhere";
  std::ofstream(elsewhere, std::ios::binary) << valid_bytes_;
  ASSERT_EQ(unlink(path_.c_str()), 0);
  ASSERT_EQ(symlink(elsewhere.c_str(), path_.c_str()), 0);
  ExpectInvalid("is a symbolic link");
  ASSERT_NO_FATAL_FAILURE(Restore());

  // Random bytes of the right size.
  std::mt19937_64 rng(19);
  std::string junk(valid_bytes_.size(), '\0');
  for (char& c : junk) c = static_cast<char>(rng());
  PublishFile(path_, junk);
  ExpectInvalid("not a corral scoreboard");
  ASSERT_NO_FATAL_FAILURE(Restore());
}

TEST_F(ScoreboardAttackTest, RandomAttacksWhileStatsArePolledNeverCrashOrBlockTheAgent) {
  ASSERT_NO_FATAL_FAILURE(StartVictim());
  // The attacks go to a copy: the server's own file stays mapped by the server, which would die
  // of SIGBUS itself when writing into a page this test truncated away.
  PublishFile(path_, valid_bytes_);
  std::ofstream(home_ + "/elsewhere", std::ios::binary) << valid_bytes_;
  std::atomic<bool> stop = false;
  std::atomic<int> attacks = 0;
  std::thread attacker([&] {
    std::mt19937_64 rng(2026);
    const uint64_t size = valid_bytes_.size();
    while (!stop) {
      switch (rng() % 6) {
        case 0: {  // random words over the live file
          const int fd = open(path_.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
          if (fd < 0) break;
          for (int i = 0; i < 16; ++i) {
            const uint64_t word = rng();
            (void)!pwrite(fd, &word, sizeof word, static_cast<off_t>(rng() % size));
          }
          close(fd);
          break;
        }
        case 1:  // cut at a random length
          (void)!truncate(path_.c_str(), static_cast<off_t>(rng() % size));
          break;
        case 2:  // a FIFO
          unlink(path_.c_str());
          (void)!mkfifo(path_.c_str(), 0600);
          break;
        case 3:  // a symlink to a valid copy
          unlink(path_.c_str());
          (void)!symlink((home_ + "/elsewhere").c_str(), path_.c_str());
          break;
        case 4: {  // the valid file back, then random bytes over its header
          std::string bytes = valid_bytes_;
          for (int i = 0; i < 8; ++i) bytes[rng() % 256] = static_cast<char>(rng());
          PublishFile(path_, rng() % 2 == 0 ? valid_bytes_ : bytes);
          break;
        }
        case 5:  // gone
          unlink(path_.c_str());
          break;
      }
      ++attacks;
    }
  });
  // Stops the attacker however the test ends (a failed ASSERT returns early).
  absl::Cleanup join_attacker = [&] {
    stop = true;
    attacker.join();
  };

  // Both consumers of the sampler code: GetStats (the agent's shared samplers, with per-worker
  // detail) and corralctl. A blocked loop shows as DEADLINE_EXCEEDED, a dead agent as UNAVAILABLE.
  int polls = 0;
  int invalid = 0;
  while (polls < 200 || attacks < 200) {
    v1::StatsReport report;
    grpc::Status status = GetStats("s", &report, /*workers=*/polls % 2 == 0);
    ASSERT_TRUE(status.ok()) << "poll " << polls << " after " << attacks
                             << " attacks: " << status.error_message();
    ASSERT_EQ(report.servers_size(), 1);
    if (report.servers(0).scoreboard_invalid()) ++invalid;
    if (polls % 50 == 0) {
      CommandResult ctl = Ctl({"stats", "s"});
      ASSERT_EQ(ctl.exit_code, 0) << ctl.err;
    }
    ++polls;
  }
  std::move(join_attacker).Invoke();
  ASSERT_FALSE(agent_->Exited()) << "the agent died, wait status " << agent_->wait_status();
  EXPECT_GT(invalid, 0);
  ASSERT_NO_FATAL_FAILURE(Restore());
}

// Fills a small tmpfs mounted over HOME/servers in a private mount namespace: the agent started
// afterwards (from this thread, so it inherits the namespace) spawns the server there.
TEST_F(ScoreboardAttackTest, FullFilesystemAtStartFailsTheServerWithTheReason) {
  stub_.reset();
  agent_.reset();  // the fixture's agent lives in the old namespace
  if (unshare(CLONE_NEWNS) != 0) GTEST_SKIP() << "unshare(CLONE_NEWNS): " << strerror(errno);
  ASSERT_EQ(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0) << strerror(errno);
  const std::string servers = home_ + "/servers";
  std::filesystem::create_directories(servers);
  ASSERT_EQ(mount("tmpfs", servers.c_str(), "tmpfs", 0, "size=1m"), 0) << strerror(errno);
  {
    const int filler = open((servers + "/filler").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(filler, 0);
    char block[4096] = {};
    while (write(filler, block, sizeof block) > 0) {
    }
    EXPECT_EQ(errno, ENOSPC);
    close(filler);
  }
  StartAgent();
  v1::Server server;
  grpc::Status started = StartEcho("full", "127.0.0.1:0", &server);
  ASSERT_TRUE(started.ok()) << started.error_message();  // the RPC works; the server fails
  v1::Server failed =
      WaitUntil("full", [](const v1::Server& s) { return s.state() == v1::STATE_FAILED; });
  EXPECT_EQ(failed.state(), v1::STATE_FAILED);
  EXPECT_EQ(failed.reason(),
            "create scoreboard " + servers + "/full/scoreboard: no space left on device");
  ASSERT_FALSE(agent_->Exited());

  stub_.reset();
  agent_.reset();
  EXPECT_EQ(umount2(servers.c_str(), MNT_DETACH), 0) << strerror(errno);
}

}  // namespace
}  // namespace corral::testing
