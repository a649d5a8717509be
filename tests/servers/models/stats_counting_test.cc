// Every model counts what it serves into the scoreboard exactly: a known workload gives known
// totals, read back through the same reader the agent uses.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "servers/stats/scoreboard_reader.h"
#include "tests/servers/models/model_cases.h"
#include "tests/support/server_process.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {
namespace {

class StatsCountingTest : public ::testing::TestWithParam<ModelCase> {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/corral-stats-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> Args(const std::string& protocol) {
    std::vector<std::string> args = {"--protocol",  protocol,       "--listen",
                                     "127.0.0.1:0", "--scoreboard", dir_ + "/scoreboard"};
    args.insert(args.end(), GetParam().flags.begin(), GetParam().flags.end());
    return args;
  }

  stats::Snapshot ReadAfterStop(ServerProcess& server) {
    // After a clean stop every worker has closed its connections: the counts are final.
    EXPECT_NE(server.SignalAndWait(SIGTERM), -1);
    absl::StatusOr<stats::ScoreboardReader> reader =
        stats::ScoreboardReader::Open(dir_ + "/scoreboard");
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return stats::Snapshot();
    absl::StatusOr<stats::Snapshot> snap = reader->Read();
    EXPECT_TRUE(snap.ok()) << snap.status();
    return snap.ok() ? *std::move(snap) : stats::Snapshot();
  }

  std::string dir_;
};

TEST_P(StatsCountingTest, TcpEchoCountsConnectionsRequestsAndBytes) {
  ServerProcess server(Args("tcp-echo"));
  ASSERT_TRUE(server.ready()) << server.detail();
  constexpr int kConnections = 7, kMessages = 20, kSize = 64;
  for (int c = 0; c < kConnections; ++c) {
    base::UniqueFd fd = ConnectTcp(server.detail());
    ASSERT_TRUE(fd);
    for (int m = 0; m < kMessages; ++m) {
      std::string message = Pattern(kSize, c * 100 + m);
      ASSERT_EQ(EchoOn(fd.get(), message), message);
    }
  }
  stats::Snapshot snapshot = ReadAfterStop(server);
  EXPECT_EQ(snapshot.model, GetParam().flags[1]);
  EXPECT_EQ(snapshot.totals.accepted, kConnections);
  EXPECT_EQ(snapshot.totals.closed, kConnections);
  EXPECT_EQ(snapshot.totals.bytes_in, kConnections * kMessages * kSize);
  EXPECT_EQ(snapshot.totals.bytes_out, kConnections * kMessages * kSize);
  // One request is one read echoed back; a 64-byte message sent in one write arrives whole.
  EXPECT_EQ(snapshot.totals.requests, kConnections * kMessages);
  EXPECT_EQ(snapshot.latency.count, kConnections * kMessages);
}

TEST_P(StatsCountingTest, UdpEchoCountsDatagrams) {
  ServerProcess server(Args("udp-echo"));
  ASSERT_TRUE(server.ready()) << server.detail();
  constexpr int kDatagrams = 50;
  size_t bytes = 0;
  for (int i = 0; i < kDatagrams; ++i) {
    std::string message = Pattern(10 + i, i);
    ASSERT_EQ(UdpRoundTrip(server.detail(), message), message);
    bytes += message.size();
  }
  stats::Snapshot snapshot = ReadAfterStop(server);
  EXPECT_EQ(snapshot.totals.requests, kDatagrams);
  EXPECT_EQ(snapshot.totals.bytes_in, bytes);
  EXPECT_EQ(snapshot.totals.bytes_out, bytes);
}

INSTANTIATE_TEST_SUITE_P(AllModels, StatsCountingTest, ::testing::ValuesIn(AllModels()),
                         ModelCaseName);

}  // namespace
}  // namespace corral::testing
