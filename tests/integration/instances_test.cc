// Instances (issue 21 item 5): `--instances N` runs N processes on the sockets the agent holds,
// each supervised on its own; statistics are summed over them. And socket recovery after an
// agent restart (issue 22 item 6): the new agent copies the adopted processes' sockets
// (pidfd_getfd), so it holds them again.
#include <signal.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/stats_fixture.h"

namespace corral::testing {
namespace {

class InstancesTest : public StatsTest {
 protected:
  // A tcp-echo/thread server with `count` instances, RUNNING with every instance ready.
  v1::Server StartInstances(const std::string& name, uint32_t count) {
    v1::Server started;
    grpc::Status status = StartEcho(name, "127.0.0.1:0", &started,
                                    [count](v1::ServerSpec& spec) { spec.set_instances(count); });
    EXPECT_TRUE(status.ok()) << status.error_message();
    return WaitUntil(name, [count](const v1::Server& s) { return AllReady(s, count); });
  }

  static bool AllReady(const v1::Server& s, uint32_t count) {
    if (s.state() != v1::STATE_RUNNING || s.instances_size() != static_cast<int>(count)) {
      return false;
    }
    for (const v1::Instance& instance : s.instances()) {
      if (!instance.ready() || instance.pid() == 0) return false;
    }
    return true;
  }
};

TEST_F(InstancesTest, EachInstanceIsSupervisedOnItsOwnAndStatsAreSummed) {
  StartStatsAgent();
  v1::Server server = StartInstances("web", 3);
  ASSERT_TRUE(AllReady(server, 3));
  std::set<pid_t> pids;
  for (const v1::Instance& instance : server.instances()) pids.insert(instance.pid());
  EXPECT_EQ(pids.size(), 3u);
  CommandResult ls = Ctl({"ls"});
  EXPECT_TRUE(absl::StrContains(ls.out, "RUNNING 3/3")) << ls.out;
  CommandResult get = Ctl({"get", "web"});
  EXPECT_TRUE(
      absl::StrContains(get.out, absl::StrCat("2: RUNNING  pid ", server.instances(2).pid())))
      << get.out;

  // Killed, instance 1 alone comes back; the others keep their processes and counts.
  const pid_t killed = server.instances(1).pid();
  ASSERT_EQ(::kill(killed, SIGKILL), 0);
  v1::Server again = WaitUntil("web", [killed](const v1::Server& s) {
    return AllReady(s, 3) && s.instances(1).pid() != killed;
  });
  ASSERT_TRUE(AllReady(again, 3));
  EXPECT_EQ(again.instances(0).pid(), server.instances(0).pid());
  EXPECT_EQ(again.instances(2).pid(), server.instances(2).pid());
  EXPECT_EQ(again.instances(1).restarts(), 1u);
  EXPECT_EQ(again.instances(0).restarts(), 0u);
  EXPECT_EQ(again.instances(2).restarts(), 0u);
  EXPECT_EQ(again.restarts(), 1u);
  EXPECT_EQ(again.bound_address(), server.bound_address());

  // Every request counted once, in the sum and in exactly one instance.
  constexpr int kRequests = 30;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(EchoOnce(again.bound_address(), "ping"), "ping");
  }
  v1::ServerStats stats = WaitForStats("web", [](const v1::ServerStats& s) {
    return s.instances_size() == 3 && s.totals().requests() >= kRequests;
  });
  ASSERT_EQ(stats.instances_size(), 3);
  uint64_t sum = 0;
  for (const v1::ServerStats& instance : stats.instances()) {
    EXPECT_TRUE(instance.scoreboard_available()) << instance.unavailable_reason();
    sum += instance.totals().requests();
  }
  EXPECT_EQ(stats.totals().requests(), static_cast<uint64_t>(kRequests));
  EXPECT_EQ(sum, stats.totals().requests());
  EXPECT_EQ(stats.instances(1).pid(), again.instances(1).pid());

  ASSERT_EQ(Ctl({"stop", "web"}).exit_code, 0);
  for (const v1::Instance& instance : again.instances()) {
    EXPECT_TRUE(WaitFor([&] { return ::kill(instance.pid(), 0) != 0; }));
  }
}

TEST_F(InstancesTest, OneInstanceOutOfRangeIsRefused) {
  v1::Server out;
  grpc::Status status =
      StartEcho("many", "127.0.0.1:0", &out, [](v1::ServerSpec& spec) { spec.set_instances(65); });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "instances 65")) << status.error_message();
}

// Every instance is adopted by a new agent, which recovers the sockets: killed, an instance
// comes back on the socket its sibling still uses (binding the address again would fail).
TEST_F(InstancesTest, ANewAgentAdoptsEveryInstanceAndRecoversTheirSockets) {
  agent_->SignalAndWait(SIGTERM);
  StartAgent({});  // servers outlive this agent
  v1::Server server = StartInstances("web", 2);
  ASSERT_TRUE(AllReady(server, 2));
  ASSERT_NE(agent_->SignalAndWait(SIGTERM, std::chrono::seconds(20)), -1);
  StartAgent();
  v1::Server adopted = *Get("web");
  ASSERT_TRUE(AllReady(adopted, 2));
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(adopted.instances(i).adopted());
    EXPECT_EQ(adopted.instances(i).pid(), server.instances(i).pid());
  }
  ASSERT_EQ(adopted.sockets_size(), 1);
  EXPECT_EQ(adopted.sockets(0).address(), server.bound_address());

  const pid_t killed = adopted.instances(0).pid();
  ASSERT_EQ(::kill(killed, SIGKILL), 0);
  v1::Server again = WaitUntil("web", [killed](const v1::Server& s) {
    return s.instances_size() == 2 && s.instances(0).pid() != killed &&
           (s.instances(0).ready() || s.instances(0).state() == v1::STATE_FAILED);
  });
  EXPECT_EQ(again.instances(0).state(), v1::STATE_RUNNING) << again.instances(0).reason();
  EXPECT_EQ(again.instances(1).pid(), server.instances(1).pid());
  EXPECT_EQ(EchoOnce(server.bound_address(), "back"), "back");
}

// With the agent frozen, a client connecting after the adopted server died still gets in: the
// agent holds the recovered listening socket, so the connection waits in its backlog.
TEST_F(InstancesTest, AfterAdoptionTheAgentHoldsTheSocketSoNoClientIsRefused) {
  agent_->SignalAndWait(SIGTERM);
  StartAgent({});
  v1::Server server = StartInstances("solo", 1);
  ASSERT_NE(agent_->SignalAndWait(SIGTERM, std::chrono::seconds(20)), -1);
  StartAgent();
  v1::Server adopted = *Get("solo");
  ASSERT_TRUE(adopted.adopted());
  ASSERT_EQ(::kill(agent_->pid(), SIGSTOP), 0);
  ASSERT_EQ(::kill(adopted.pid(), SIGKILL), 0);
  EXPECT_TRUE(WaitFor([&] { return ::kill(adopted.pid(), 0) != 0; }));
  const bool connected = CanConnect(server.bound_address());
  ASSERT_EQ(::kill(agent_->pid(), SIGCONT), 0);
  EXPECT_TRUE(connected);
  v1::Server again = WaitUntil("solo", [&](const v1::Server& s) {
    return s.state() == v1::STATE_RUNNING && s.pid() != adopted.pid() && s.pid() != 0;
  });
  EXPECT_EQ(EchoOnce(again.bound_address(), "back"), "back");
}

}  // namespace
}  // namespace corral::testing
