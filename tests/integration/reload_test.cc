// Reload (issue 22 items 1, 2 and 8): new processes start on the sockets the agent holds and the
// old ones drain only once their successors are READY, instance by instance; under a client's
// steady keep-alive load nothing fails. A broken new version ends the reload and the old
// process keeps serving, with the spec unchanged and the reason in the event.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/integration/agent_fixture.h"
#include "tests/integration/reload_support.h"
#include "tests/servers/protocols/http/http_test_client.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

const std::string kProgram = std::string(CORRAL_SOURCE_DIR) + "/tests/programs/fd3_server.py";

class ReloadTest : public AgentTest {
 protected:
  grpc::Status Reload(const std::string& name, v1::Server* out,
                      const v1::ServerSpec* spec = nullptr) {
    v1::ReloadRequest request;
    request.set_name(name);
    if (spec != nullptr) *request.mutable_spec() = *spec;
    return CallReload(stub(), request, out);
  }

  std::string WriteRoot() {
    const std::string root = home_ + "/www";
    std::filesystem::create_directories(root);
    std::ofstream(root + "/index.html") << "hello\n";
    return root;
  }

  static std::vector<v1::Event::Kind> Kinds(const std::vector<v1::Event>& events) {
    std::vector<v1::Event::Kind> kinds;
    for (const v1::Event& e : events) {
      if (e.kind() == v1::Event::RELOADING || e.kind() == v1::Event::INSTANCE_READY ||
          e.kind() == v1::Event::DRAINING || e.kind() == v1::Event::RELOADED ||
          e.kind() == v1::Event::ROLLED_BACK) {
        kinds.push_back(e.kind());
      }
    }
    return kinds;
  }

  // An http server of `model` under a keep-alive client: reloaded in the middle, no request
  // fails and every process is new.
  void ReloadUnderLoad(v1::Model model, uint32_t instances) {
    const std::string root = WriteRoot();
    v1::Server server;
    ASSERT_TRUE(StartEcho("web", "127.0.0.1:0", &server, [&](v1::ServerSpec& spec) {
                  spec.set_protocol(v1::PROTOCOL_HTTP);
                  spec.set_model(model);
                  spec.set_root(root);
                  spec.set_instances(instances);
                }).ok());
    server = WaitUntil("web", [instances](const v1::Server& s) {
      int ready = 0;
      for (const v1::Instance& i : s.instances()) ready += i.ready() ? 1 : 0;
      return ready == static_cast<int>(instances);
    });
    ASSERT_EQ(server.state(), v1::STATE_RUNNING);
    EventLog log(stub(), "web");
    LoadClient client(server.bound_address(), "/index.html", /*keep_alive=*/true);
    ASSERT_TRUE(client.ServedMore(200)) << client.first_error();
    v1::Server reloaded;
    grpc::Status status = Reload("web", &reloaded);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(client.ServedMore(200)) << client.first_error();
    client.Stop();
    EXPECT_EQ(client.errors(), 0) << client.first_error();
    std::cerr << "requests " << client.ok() << ", resent after an idle close " << client.retried()
              << "\n";
    ASSERT_EQ(reloaded.instances_size(), static_cast<int>(instances));
    for (int i = 0; i < reloaded.instances_size(); ++i) {
      EXPECT_NE(reloaded.instances(i).pid(), server.instances(i).pid());
      EXPECT_TRUE(reloaded.instances(i).ready());
      // The old process drained and is gone.
      EXPECT_TRUE(WaitFor([&] { return ::kill(server.instances(i).pid(), 0) != 0; }));
    }
    EXPECT_FALSE(reloaded.reloading());
    log.WaitFor(v1::Event::RELOADED);
    std::vector<v1::Event::Kind> expected = {v1::Event::RELOADING};
    for (uint32_t i = 0; i < instances; ++i) {
      expected.push_back(v1::Event::INSTANCE_READY);
      expected.push_back(v1::Event::DRAINING);
    }
    expected.push_back(v1::Event::RELOADED);
    EXPECT_EQ(Kinds(log.events()), expected);
  }
};

TEST_F(ReloadTest, ForkUnderKeepAliveLoadLosesNoRequest) { ReloadUnderLoad(v1::MODEL_FORK, 1); }
TEST_F(ReloadTest, ThreadUnderKeepAliveLoadLosesNoRequest) { ReloadUnderLoad(v1::MODEL_THREAD, 1); }
TEST_F(ReloadTest, CoroutineUnderKeepAliveLoadLosesNoRequest) {
  ReloadUnderLoad(v1::MODEL_COROUTINE, 1);
}
TEST_F(ReloadTest, InstancesRollOneAtATimeUnderLoad) { ReloadUnderLoad(v1::MODEL_THREAD, 3); }

// The program drains as a server should (on SIGTERM it stops accepting and finishes what it
// accepted); one that dies at once loses the connections it had accepted, whoever supervises it.
TEST_F(ReloadTest, ACommandServerUnderLoadLosesNoRequest) {
  ASSERT_EQ(Ctl({"start", "py", "--listen", "127.0.0.1:0", "--ready", "notify", "--", "python3",
                 kProgram, "--notify", "--drain", "200"})
                .exit_code,
            0);
  v1::Server server =
      WaitUntil("py", [](const v1::Server& s) { return s.state() == v1::STATE_RUNNING; });
  LoadClient client(server.bound_address(), "/", /*keep_alive=*/false);
  ASSERT_TRUE(client.ServedMore(20)) << client.first_error();
  CommandResult reload = Ctl({"reload", "py"});
  ASSERT_EQ(reload.exit_code, 0) << reload.err;
  EXPECT_TRUE(absl::StrContains(reload.out, "reloaded \"py\"")) << reload.out;
  EXPECT_TRUE(client.ServedMore(20)) << client.first_error();
  client.Stop();
  EXPECT_EQ(client.errors(), 0) << client.first_error();
  v1::Server after = *Get("py");
  EXPECT_NE(after.pid(), server.pid());
  EXPECT_EQ(after.bound_address(), server.bound_address());
}

// A new version that exits at once ends the reload: the old process serves on, untouched, and
// the spec keeps the old command.
TEST_F(ReloadTest, ABrokenNewVersionLeavesTheOldProcessServing) {
  ASSERT_EQ(Ctl({"start", "py", "--listen", "127.0.0.1:0", "--ready", "notify", "--", "python3",
                 kProgram, "--notify"})
                .exit_code,
            0);
  v1::Server server =
      WaitUntil("py", [](const v1::Server& s) { return s.state() == v1::STATE_RUNNING; });
  EventLog log(stub(), "py");
  CommandResult reload = Ctl({"reload", "py", "--", "python3", "-c", "import sys; sys.exit(78)"});
  EXPECT_NE(reload.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(reload.err, "reload of py failed")) << reload.err;
  EXPECT_TRUE(absl::StrContains(reload.err, "78")) << reload.err;
  v1::Server after = *Get("py");
  EXPECT_EQ(after.pid(), server.pid());
  EXPECT_EQ(after.state(), v1::STATE_RUNNING);
  EXPECT_FALSE(after.reloading());
  EXPECT_EQ(
      std::vector<std::string>(after.spec().command().begin(), after.spec().command().end()),
      std::vector<std::string>(server.spec().command().begin(), server.spec().command().end()));
  EXPECT_FALSE(HttpGetBody(after.bound_address(), "/").empty());
  v1::Event rolled_back = log.WaitFor(v1::Event::ROLLED_BACK);
  EXPECT_TRUE(absl::StrContains(rolled_back.reason(), "reload of py failed"))
      << rolled_back.reason();
  EXPECT_EQ(Kinds(log.events()),
            (std::vector<v1::Event::Kind>{v1::Event::RELOADING, v1::Event::ROLLED_BACK}));

  // One that never says READY fails at its deadline, the same way.
  v1::ServerSpec hangs = after.spec();
  hangs.set_ready_timeout_ms(500);
  hangs.clear_command();
  for (const char* arg : {"python3", kProgram.c_str(), "--never-ready"}) hangs.add_command(arg);
  grpc::Status status = Reload("py", nullptr, &hangs);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "did not report ready"))
      << status.error_message();
  EXPECT_EQ(Get("py")->pid(), server.pid());
  EXPECT_EQ(Get("py")->spec().ready_timeout_ms(), server.spec().ready_timeout_ms());
  EXPECT_FALSE(HttpGetBody(after.bound_address(), "/").empty());
}

TEST_F(ReloadTest, ReloadRefusesAServerThatIsNotRunningAndOtherSockets) {
  v1::Server server;
  ASSERT_TRUE(StartEcho("e", "127.0.0.1:0", &server).ok());
  v1::ServerSpec moved = server.spec();
  moved.set_listen("127.0.0.1:1");
  grpc::Status status = Reload("e", nullptr, &moved);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(Ctl({"stop", "e"}).exit_code, 0);
  status = Reload("e", nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "not RUNNING")) << status.error_message();
}

}  // namespace
}  // namespace corral::testing
