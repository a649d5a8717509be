// Scale (issue 22 item 5): `corralctl scale NAME N` changes how many instances serve, and
// `--pool N` / `--hubs N` corral-server's pool or hubs, while clients keep sending requests:
// none of them fails.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/integration/agent_fixture.h"
#include "tests/integration/reload_support.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

class ScaleTest : public AgentTest {
 protected:
  v1::Server StartWeb(v1::Model model, uint32_t pool_size) {
    const std::string root = home_ + "/www";
    std::filesystem::create_directories(root);
    std::ofstream(root + "/index.html") << "hello\n";
    v1::Server server;
    grpc::Status status = StartEcho("web", "127.0.0.1:0", &server, [&](v1::ServerSpec& spec) {
      spec.set_protocol(v1::PROTOCOL_HTTP);
      spec.set_model(model);
      spec.set_root(root);
      spec.set_pool_size(pool_size);
    });
    EXPECT_TRUE(status.ok()) << status.error_message();
    return WaitUntil("web", [](const v1::Server& s) { return s.state() == v1::STATE_RUNNING; });
  }

  static int Ready(const v1::Server& server) {
    int ready = 0;
    for (const v1::Instance& i : server.instances()) ready += i.ready() ? 1 : 0;
    return ready;
  }
};

TEST_F(ScaleTest, InstancesGoFromOneToThreeAndBackUnderLoadWithoutAnError) {
  v1::Server server = StartWeb(v1::MODEL_THREAD, 0);
  EventLog log(stub(), "web");
  std::vector<std::unique_ptr<LoadClient>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<LoadClient>(server.bound_address(), "/index.html", true));
  }
  // And one that connects for every request, so new connections meet every instance.
  clients.push_back(std::make_unique<LoadClient>(server.bound_address(), "/index.html", false));
  ASSERT_TRUE(clients[0]->ServedMore(100)) << clients[0]->first_error();

  CommandResult up = Ctl({"scale", "web", "3"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  EXPECT_TRUE(absl::StrContains(up.out, "scaled \"web\" to 3 instance(s)")) << up.out;
  v1::Server three = *Get("web");
  ASSERT_EQ(three.instances_size(), 3);
  EXPECT_EQ(Ready(three), 3) << "counted once READY";
  EXPECT_EQ(three.spec().instances(), 3u);
  EXPECT_EQ(three.instances(0).pid(), server.pid()) << "instance 0 kept serving";
  for (auto& client : clients) EXPECT_TRUE(client->ServedMore(50)) << client->first_error();

  CommandResult down = Ctl({"scale", "web", "1"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  v1::Server one = *Get("web");
  ASSERT_EQ(one.instances_size(), 1);
  EXPECT_EQ(one.spec().instances(), 1u);
  EXPECT_EQ(one.pid(), server.pid());
  // The highest indexes drained and are gone.
  for (int i = 1; i < 3; ++i) {
    const pid_t pid = three.instances(i).pid();
    EXPECT_TRUE(WaitFor([pid] { return ::kill(pid, 0) != 0; })) << "pid " << pid;
  }
  for (auto& client : clients) EXPECT_TRUE(client->ServedMore(50)) << client->first_error();
  int requests = 0;
  for (auto& client : clients) {
    client->Stop();
    requests += client->ok();
    EXPECT_EQ(client->errors(), 0) << client->first_error();
  }
  std::cerr << "requests " << requests << ", none failed\n";
  v1::Event scaled = log.WaitFor(v1::Event::SCALED);
  EXPECT_TRUE(absl::StartsWith(scaled.reason(), "3 instance")) << scaled.reason();
}

TEST_F(ScaleTest, PoolSizeChangesByARollingReloadUnderLoad) {
  v1::Server server = StartWeb(v1::MODEL_THREAD, 2);
  LoadClient client(server.bound_address(), "/index.html", true);
  ASSERT_TRUE(client.ServedMore(100)) << client.first_error();
  CommandResult pool = Ctl({"scale", "web", "4", "--pool"});
  ASSERT_EQ(pool.exit_code, 0) << pool.err;
  v1::Server after = *Get("web");
  EXPECT_EQ(after.spec().pool_size(), 4u);
  EXPECT_NE(after.pid(), server.pid());
  EXPECT_TRUE(client.ServedMore(100)) << client.first_error();
  client.Stop();
  EXPECT_EQ(client.errors(), 0) << client.first_error();
}

TEST_F(ScaleTest, ScaleRefusesWhatCannotBe) {
  v1::Server server = StartWeb(v1::MODEL_THREAD, 0);
  CommandResult zero = Ctl({"scale", "web", "0"});
  EXPECT_NE(zero.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(zero.err, "at least 1 instance")) << zero.err;
  CommandResult hubs = Ctl({"scale", "web", "2", "--hubs"});
  EXPECT_NE(hubs.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(hubs.err, "hubs applies to the coroutine model")) << hubs.err;
  CommandResult missing = Ctl({"scale", "nope", "2"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_EQ(Get("web")->pid(), server.pid());
}

}  // namespace
}  // namespace corral::testing
