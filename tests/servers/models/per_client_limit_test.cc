// PerClientLimit: the cap per client address, its keying (IPv4, IPv6 /64, mapped addresses),
// its counting of refusals, and one table shared by processes forked after it was made.
#include "servers/models/per_client_limit.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "servers/stats/scoreboard_reader.h"

namespace corral::models {
namespace {

sockaddr_in V4(const char* text, uint16_t port = 1000) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET, text, &a.sin_addr), 1) << text;
  return a;
}

sockaddr_in6 V6(const char* text, uint16_t port = 1000) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET6, text, &a.sin6_addr), 1) << text;
  return a;
}

template <typename Address>
std::optional<PerClientLimit::Hold> Admit(PerClientLimit& limit, const Address& a) {
  return limit.Admit(reinterpret_cast<const sockaddr*>(&a), sizeof a);
}

template <typename Address>
uint32_t CountOf(const PerClientLimit& limit, const Address& a) {
  return limit.CountOf(reinterpret_cast<const sockaddr*>(&a), sizeof a);
}

std::unique_ptr<PerClientLimit> Make(uint32_t cap, stats::Scoreboard* board = nullptr) {
  absl::StatusOr<std::unique_ptr<PerClientLimit>> limit = PerClientLimit::Create(cap, board);
  EXPECT_TRUE(limit.ok()) << limit.status();
  return limit.ok() ? *std::move(limit) : nullptr;
}

TEST(PerClientLimitTest, AdmitsUpToTheCapThenRefusesUntilOneEnds) {
  std::unique_ptr<PerClientLimit> limit = Make(3);
  const sockaddr_in client = V4("10.1.2.3");
  std::vector<PerClientLimit::Hold> held;
  for (int i = 0; i < 3; ++i) {
    std::optional<PerClientLimit::Hold> hold = Admit(*limit, V4("10.1.2.3", 2000 + i));
    ASSERT_TRUE(hold.has_value()) << i;
    held.push_back(*std::move(hold));
  }
  EXPECT_EQ(CountOf(*limit, client), 3u);
  EXPECT_FALSE(Admit(*limit, client).has_value());
  EXPECT_EQ(CountOf(*limit, client), 3u);  // a refusal leaves nothing behind
  held.pop_back();                         // one connection ends
  EXPECT_EQ(CountOf(*limit, client), 2u);
  EXPECT_TRUE(Admit(*limit, client).has_value());
}

TEST(PerClientLimitTest, OtherClientsAreNotAffected) {
  std::unique_ptr<PerClientLimit> limit = Make(1);
  std::optional<PerClientLimit::Hold> first = Admit(*limit, V4("127.0.0.1"));
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(Admit(*limit, V4("127.0.0.1")).has_value());
  // Another address is another client (unless the hash collides, which the random seed makes
  // vanishingly unlikely for these few addresses).
  EXPECT_TRUE(Admit(*limit, V4("127.0.0.2")).has_value());
  EXPECT_TRUE(Admit(*limit, V6("2001:db8:1::1")).has_value());
}

TEST(PerClientLimitTest, AnIpv6ClientIsItsSlash64AndAMappedAddressItsIpv4One) {
  std::unique_ptr<PerClientLimit> limit = Make(1);
  std::optional<PerClientLimit::Hold> hold = Admit(*limit, V6("2001:db8:0:1::1"));
  ASSERT_TRUE(hold.has_value());
  EXPECT_FALSE(Admit(*limit, V6("2001:db8:0:1:ffff::2")).has_value());  // same /64
  EXPECT_TRUE(Admit(*limit, V6("2001:db8:0:2::1")).has_value());        // next /64

  std::optional<PerClientLimit::Hold> v4 = Admit(*limit, V4("192.0.2.7"));
  ASSERT_TRUE(v4.has_value());
  EXPECT_FALSE(Admit(*limit, V6("::ffff:192.0.2.7")).has_value());
}

TEST(PerClientLimitTest, NoLimitAndUncappedFamiliesAdmitEverything) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  EXPECT_TRUE(PerClientLimit::Admit(nullptr, fds[0]).has_value());
  std::unique_ptr<PerClientLimit> limit = Make(1);
  std::vector<PerClientLimit::Hold> held;
  for (int i = 0; i < 5; ++i) {
    std::optional<PerClientLimit::Hold> hold = PerClientLimit::Admit(limit.get(), fds[0]);
    ASSERT_TRUE(hold.has_value()) << i;  // AF_UNIX: no client address to cap
    held.push_back(*std::move(hold));
  }
  close(fds[0]);
  close(fds[1]);
  EXPECT_FALSE(PerClientLimit::Create(0, nullptr).ok());
}

TEST(PerClientLimitTest, ADetachedPlaceIsGivenBackByItsAdopter) {
  std::unique_ptr<PerClientLimit> limit = Make(1);
  const sockaddr_in client = V4("198.51.100.1");
  std::optional<PerClientLimit::Hold> hold = Admit(*limit, client);
  ASSERT_TRUE(hold.has_value());
  PerClientLimit::Detached place = hold->Detach();
  hold.reset();  // detached: destroying it gives nothing back
  EXPECT_EQ(CountOf(*limit, client), 1u);
  { PerClientLimit::Hold adopted(place); }
  EXPECT_EQ(CountOf(*limit, client), 0u);
}

TEST(PerClientLimitTest, ProcessesForkedAfterCreationShareTheCounts) {
  std::unique_ptr<PerClientLimit> limit = Make(4);
  const sockaddr_in client = V4("203.0.113.9");
  // Each child takes one place and keeps it (it exits without releasing: _exit skips the
  // destructor); the parent then sees the cap reached by their places together.
  for (int i = 0; i < 4; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::optional<PerClientLimit::Hold> hold = Admit(*limit, client);
      if (!hold) _exit(1);
      (void)hold->Detach();
      _exit(0);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << i;
  }
  EXPECT_EQ(CountOf(*limit, client), 4u);
  EXPECT_FALSE(Admit(*limit, client).has_value());
  // A child sees the cap reached too.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(Admit(*limit, client).has_value() ? 1 : 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child did not see the cap";
}

TEST(PerClientLimitTest, AChildGivesBackAPlaceItWasHandedAcrossTheFork) {
  std::unique_ptr<PerClientLimit> limit = Make(1);
  const sockaddr_in client = V4("203.0.113.10");
  std::optional<PerClientLimit::Hold> hold = Admit(*limit, client);
  ASSERT_TRUE(hold.has_value());
  const PerClientLimit::Detached place = hold->Detach();  // as the fork model's parent does
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    { PerClientLimit::Hold held(place); }  // the child's connection ends
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(CountOf(*limit, client), 0u);
  EXPECT_TRUE(Admit(*limit, client).has_value());
}

TEST(PerClientLimitTest, RefusalsAreCountedInTheScoreboard) {
  char pattern[] = "/tmp/corral-limit-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  {
    absl::StatusOr<stats::Scoreboard> board = stats::Scoreboard::Create(
        {.path = dir + "/scoreboard", .slot_count = 2, .protocol = "http", .model = "thread"});
    ASSERT_TRUE(board.ok()) << board.status();
    std::unique_ptr<PerClientLimit> limit = Make(1, &*board);
    std::optional<PerClientLimit::Hold> hold = Admit(*limit, V4("127.0.0.1"));
    ASSERT_TRUE(hold.has_value());
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(Admit(*limit, V4("127.0.0.1")).has_value());
  }
  absl::StatusOr<stats::ScoreboardReader> reader =
      stats::ScoreboardReader::Open(dir + "/scoreboard");
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<stats::Snapshot> snap = reader->Read();
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->listener_refused_per_client, 5u);
  EXPECT_EQ(snap->totals.error(stats::ErrorKind::kRefusedPerClient), 5u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace corral::models
