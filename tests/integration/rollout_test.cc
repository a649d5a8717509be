// Rollout gates and rollback (issue 22 item 3, and the two gaps of the first reload): a reload
// watches each new instance's own scoreboard for the check window and rolls back on a breach
// (a new version that answers slowly, or with 500s); a healthy one passes; too few requests
// are not judged unless required; a reload that fails part-way ends with every instance on
// the old spec; an agent restarted mid-reload kills the reload's new process.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/agent_fixture.h"
#include "tests/integration/reload_support.h"
#include "tests/support/file_text.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

const std::string kProgram = std::string(CORRAL_SOURCE_DIR) + "/tests/programs/fd3_server.py";

class RolloutTest : public AgentTest {
 protected:
  // Starts "web": http, thread model, the gate plugin with `args` on GET /gate.
  v1::Server StartGate(const std::map<std::string, std::string>& args, uint32_t instances = 1) {
    const std::string root = home_ + "/www";
    std::filesystem::create_directories(root);
    v1::Server server;
    grpc::Status status = StartEcho("web", "127.0.0.1:0", &server, [&](v1::ServerSpec& spec) {
      spec.set_protocol(v1::PROTOCOL_HTTP);
      spec.set_model(v1::MODEL_THREAD);
      spec.set_root(root);
      spec.set_instances(instances);
      spec.set_handler(std::string(CORRAL_HANDLER_DIR) + "/gate.so");
      for (const auto& [key, value] : args) (*spec.mutable_handler_args())[key] = value;
    });
    EXPECT_TRUE(status.ok()) << status.error_message();
    return WaitUntil("web", [instances](const v1::Server& s) {
      int ready = 0;
      for (const v1::Instance& i : s.instances()) ready += i.ready() ? 1 : 0;
      return ready == static_cast<int>(instances);
    });
  }

  // Reloads "web" to the plugin's `args` with the gates of `gates` (its name and spec are set
  // here).
  grpc::Status ReloadTo(const v1::Server& server, const std::map<std::string, std::string>& args,
                        v1::ReloadRequest gates, v1::Server* out = nullptr) {
    gates.set_name(server.spec().name());
    *gates.mutable_spec() = server.spec();
    for (const auto& [key, value] : args)
      (*gates.mutable_spec()->mutable_handler_args())[key] = value;
    return CallReload(stub(), gates, out);
  }

  static v1::ReloadRequest Gates(uint32_t check_ms, double max_error_rate, uint32_t max_p99_ms,
                                 uint32_t min_requests) {
    v1::ReloadRequest gates;
    gates.set_check_ms(check_ms);
    gates.set_max_error_rate(max_error_rate);
    gates.set_max_p99_ms(max_p99_ms);
    gates.set_min_requests(min_requests);
    return gates;
  }

  static std::vector<v1::Event::Kind> Kinds(const std::vector<v1::Event>& events) {
    std::vector<v1::Event::Kind> kinds;
    for (const v1::Event& e : events) {
      if (e.kind() >= v1::Event::RELOADING && e.kind() != v1::Event::SCALED) {
        kinds.push_back(e.kind());
      }
    }
    return kinds;
  }

  // The instance's process runs the old version again: a new pid (the rollback replaced the
  // new version's), the old handler args, and the new version's process is gone.
  void ExpectRestored(const v1::Server& before, const std::string& arg) {
    v1::Server after = WaitUntil("web", [](const v1::Server& s) { return !s.reloading(); });
    EXPECT_EQ(after.state(), v1::STATE_RUNNING);
    EXPECT_EQ(after.spec().handler_args().count(arg), 0u) << "the spec stays the old one";
    EXPECT_NE(after.pid(), before.pid());
    EXPECT_TRUE(absl::StartsWith(after.last_reload(), "rolled back web: ")) << after.last_reload();
    EXPECT_EQ(HttpGetBody(after.bound_address(), "/gate"), "gate\n");
  }
};

TEST_F(RolloutTest, ANewVersionThatAnswersSlowlyIsRolledBackOnItsP99) {
  v1::Server server = StartGate({});
  EventLog log(stub(), "web");
  std::vector<std::unique_ptr<LoadClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<LoadClient>(server.bound_address(), "/gate", true));
  }
  ASSERT_TRUE(clients[0]->ServedMore(50)) << clients[0]->first_error();
  grpc::Status status = ReloadTo(server, {{"delay_ms", "100"}}, Gates(1500, 0, 50, 10));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "rolled back web: p99 "))
      << status.error_message();
  EXPECT_TRUE(absl::StrContains(status.error_message(), "ms > 50 ms")) << status.error_message();
  EXPECT_TRUE(clients[0]->ServedMore(50)) << clients[0]->first_error();
  for (auto& client : clients) {
    client->Stop();
    EXPECT_EQ(client->errors(), 0) << client->first_error();
  }
  ExpectRestored(server, "delay_ms");
  log.WaitFor(v1::Event::ROLLED_BACK);
  // The new version took over and drained the old; the rollback did the same the other way.
  EXPECT_EQ(Kinds(log.events()),
            (std::vector<v1::Event::Kind>{v1::Event::RELOADING, v1::Event::INSTANCE_READY,
                                          v1::Event::DRAINING, v1::Event::DRAINING,
                                          v1::Event::ROLLED_BACK}));
}

TEST_F(RolloutTest, ANewVersionThatAnswers500IsRolledBackOnItsErrorRate) {
  v1::Server server = StartGate({}, 2);
  std::vector<std::unique_ptr<LoadClient>> clients;
  // A connection per request: keep-alive clients could all stay on the instance not under
  // check, leaving the one checked with too few requests to judge.
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<LoadClient>(server.bound_address(), "/gate", false,
                                                   /*count_5xx=*/false));
  }
  ASSERT_TRUE(clients[0]->ServedMore(50)) << clients[0]->first_error();
  grpc::Status status = ReloadTo(server, {{"status", "500"}}, Gates(1500, 0.1, 0, 20));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_TRUE(absl::StartsWith(status.error_message(), "rolled back web: error rate 100 % > 10 %"))
      << status.error_message();
  // Whichever instance drew traffic in its window: one that drew none passed unjudged.
  EXPECT_TRUE(absl::StrContains(status.error_message(), " on instance ")) << status.error_message();
  auto failed = [&clients] {
    int sum = 0;
    for (auto& client : clients) sum += client->non_2xx();
    return sum;
  };
  EXPECT_GT(failed(), 0) << "the new version served some of the load";
  // Once rolled back, every answer is a 200 again.
  ExpectRestored(server, "status");
  for (auto& client : clients) EXPECT_TRUE(client->ServedMore(50)) << client->first_error();
  const int failed_after = failed();
  for (auto& client : clients) EXPECT_TRUE(client->ServedMore(50)) << client->first_error();
  EXPECT_EQ(failed(), failed_after);
  for (auto& client : clients) {
    client->Stop();
    EXPECT_EQ(client->errors(), 0) << client->first_error();
  }
}

TEST_F(RolloutTest, AHealthyNewVersionPassesItsGate) {
  v1::Server server = StartGate({}, 2);
  EventLog log(stub(), "web");
  LoadClient client(server.bound_address(), "/gate", true);
  ASSERT_TRUE(client.ServedMore(50)) << client.first_error();
  v1::Server reloaded;
  grpc::Status status = ReloadTo(server, {{"delay_ms", "0"}}, Gates(800, 0.01, 500, 10), &reloaded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(client.ServedMore(50)) << client.first_error();
  client.Stop();
  EXPECT_EQ(client.errors(), 0) << client.first_error();
  EXPECT_EQ(reloaded.spec().handler_args().at("delay_ms"), "0");
  EXPECT_TRUE(absl::StrContains(reloaded.last_reload(), "checked: instance 0: "))
      << reloaded.last_reload();
  log.WaitFor(v1::Event::RELOADED);
  EXPECT_EQ(Kinds(log.events()),
            (std::vector<v1::Event::Kind>{v1::Event::RELOADING, v1::Event::INSTANCE_READY,
                                          v1::Event::DRAINING, v1::Event::CHECKED,
                                          v1::Event::INSTANCE_READY, v1::Event::DRAINING,
                                          v1::Event::CHECKED, v1::Event::RELOADED}));
}

// With no traffic the figures say nothing: the instance passes and the event says it was not
// judged, unless --require-requests, which rolls back.
TEST_F(RolloutTest, TooFewRequestsAreNotJudgedUnlessRequired) {
  v1::Server server = StartGate({});
  EventLog log(stub(), "web");
  grpc::Status status = ReloadTo(server, {}, Gates(300, 0.01, 50, 20));
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::Event checked = log.WaitFor(v1::Event::CHECKED);
  EXPECT_TRUE(absl::StartsWith(checked.reason(), "not judged: 0 request(s)")) << checked.reason();

  // corralctl's flags override the spec's gates for one run.
  CommandResult strict =
      Ctl({"reload", "web", "--check-ms", "300", "--max-p99-ms", "50", "--require-requests"});
  EXPECT_NE(strict.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(strict.err,
                                "rolled back web: 0 request(s) in the check, fewer "
                                "than 20 (--min-requests)"))
      << strict.err;
  CommandResult get = Ctl({"get", "web"});
  EXPECT_TRUE(absl::StrContains(get.out, "rolled back web: 0 request(s)")) << get.out;
  EXPECT_EQ(Get("web")->spec().rollout_check_ms(), 0u) << "the override was for that run only";
}

// The first instance is replaced, the second's new process fails: the first gets the old
// version back, so no instance is left on a spec the server does not have.
TEST_F(RolloutTest, AReloadThatFailsPartWayRestoresTheInstancesItReplaced) {
  ASSERT_EQ(Ctl({"start", "py", "--listen", "127.0.0.1:0", "--ready", "notify", "--instances", "2",
                 "--", "python3", kProgram, "--notify"})
                .exit_code,
            0);
  v1::Server server = WaitUntil("py", [](const v1::Server& s) {
    return s.instances_size() == 2 && s.instances(0).ready() && s.instances(1).ready();
  });
  CommandResult reload = Ctl({"reload", "py", "--", "sh", "-c",
                              absl::StrCat("[ \"$CORRAL_INSTANCE\" = 1 ] && exit 78; exec python3 ",
                                           kProgram, " --notify --drain 10")});
  EXPECT_NE(reload.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(reload.err, "reload of py failed")) << reload.err;
  v1::Server after = *Get("py");
  EXPECT_FALSE(after.reloading());
  ASSERT_EQ(after.instances_size(), 2);
  EXPECT_NE(after.instances(0).pid(), server.instances(0).pid()) << "instance 0 was replaced";
  EXPECT_EQ(after.instances(1).pid(), server.instances(1).pid());
  for (const v1::Instance& instance : after.instances()) {
    EXPECT_TRUE(instance.ready());
    const std::string cmdline = FileText(absl::StrCat("/proc/", instance.pid(), "/cmdline"));
    EXPECT_FALSE(absl::StrContains(cmdline, "--drain"))
        << "instance " << instance.index() << " runs the new version";
  }
}

// An agent that stops mid-reload leaves the reload's new process to the next agent, which
// kills it: nobody would ever drain the instance it was to replace, nor supervise it.
TEST_F(RolloutTest, ANewAgentKillsTheNewProcessOfAnInterruptedReload) {
  agent_->SignalAndWait(SIGTERM);
  StartAgent({});  // servers outlive this agent
  ASSERT_EQ(Ctl({"start", "py", "--listen", "127.0.0.1:0", "--ready", "notify", "--", "python3",
                 kProgram, "--notify"})
                .exit_code,
            0);
  v1::Server server =
      WaitUntil("py", [](const v1::Server& s) { return s.state() == v1::STATE_RUNNING; });
  v1::ServerSpec hangs = server.spec();
  hangs.set_ready_timeout_ms(60000);
  hangs.clear_command();
  for (const char* arg : {"python3", kProgram.c_str(), "--never-ready"}) hangs.add_command(arg);
  std::thread reload([&] {
    v1::ReloadRequest request;
    request.set_name("py");
    *request.mutable_spec() = hangs;
    v1::ReloadResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    (void)stub().Reload(&context, request, &response);  // cut short by the agent's exit
  });
  v1::Server reloading = WaitUntil(
      "py", [](const v1::Server& s) { return absl::StrContains(s.reload_step(), "new pid "); });
  const std::string step = reloading.reload_step();
  int candidate = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      step.substr(step.find("new pid ") + 8, step.find(" starting") - step.find("new pid ") - 8),
      &candidate))
      << step;
  ASSERT_NE(agent_->SignalAndWait(SIGTERM, std::chrono::seconds(20)), -1);
  reload.join();
  ASSERT_EQ(::kill(candidate, 0), 0) << "the new process outlives its agent";
  StartAgent();
  EXPECT_TRUE(WaitFor([&] { return ::kill(candidate, 0) != 0; }))
      << "pid " << candidate << " still runs";
  v1::Server adopted = *Get("py");
  EXPECT_EQ(adopted.pid(), server.pid());
  EXPECT_TRUE(adopted.adopted());
  EXPECT_FALSE(adopted.reloading());
  EXPECT_FALSE(HttpGetBody(adopted.bound_address(), "/").empty());
}

}  // namespace
}  // namespace corral::testing
