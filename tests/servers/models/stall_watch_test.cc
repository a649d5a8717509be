// The coroutine model's stall watch, end to end in one process: a handler that holds its hub
// (a busy loop) past the stall bound is counted in the scoreboard while it still holds it, once.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "servers/models/model.h"
#include "servers/net/address.h"
#include "servers/net/socket.h"
#include "servers/stats/scoreboard.h"
#include "servers/stats/scoreboard_reader.h"
#include "tests/support/socket_clients.h"
#include "tests/support/wait_for.h"

namespace corral::models {
namespace {

using namespace std::chrono_literals;

// Spins for `hold` on its hub without a blocking call, then closes the connection.
class BusyLoop : public protocols::StreamProtocol {
 public:
  explicit BusyLoop(std::chrono::milliseconds hold) : hold_(hold) {}
  void Serve(net::Stream&) const override {
    spinning = true;
    const auto end = std::chrono::steady_clock::now() + hold_;
    while (std::chrono::steady_clock::now() < end) {
    }
    spinning = false;
    ++served;
  }
  mutable std::atomic<bool> spinning{false};
  mutable std::atomic<int> served{0};

 private:
  std::chrono::milliseconds hold_;
};

uint64_t Stalls(const stats::ScoreboardReader& reader) {
  absl::StatusOr<stats::Snapshot> snap = reader.Read();
  return snap.ok() ? snap->listener_stalls : 0;
}

TEST(StallWatchTest, CountsAHeldHubOnceWhileItIsHeld) {
  char dir[] = "/tmp/corral-stall-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/scoreboard";
  absl::StatusOr<stats::Scoreboard> scoreboard = stats::Scoreboard::Create(
      {.path = path, .slot_count = 4, .protocol = "busy", .model = "coroutine"});
  ASSERT_TRUE(scoreboard.ok()) << scoreboard.status();
  absl::StatusOr<stats::ScoreboardReader> reader = stats::ScoreboardReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();

  ModelOptions options;
  options.hubs = 2;
  options.scoreboard = &*scoreboard;
  options.stall_bound = 50ms;
  options.handler_name = "busy";
  absl::StatusOr<std::unique_ptr<Model>> model = MakeModel(ModelKind::kCoroutine, options);
  ASSERT_TRUE(model.ok()) << model.status();
  // As corral-server listens for the coroutine model: each further hub joins the port.
  net::ListenOptions listen;
  listen.reuse_port = true;
  absl::StatusOr<base::UniqueFd> listener =
      net::ListenTcp(*net::Address::Parse("127.0.0.1:0"), listen);
  ASSERT_TRUE(listener.ok()) << listener.status();
  const std::string address = net::LocalAddress(listener->get())->ToString();
  base::UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
  BusyLoop protocol(600ms);
  absl::Status served;
  std::thread server(
      [&] { served = (*model)->ServeStreams(*std::move(listener), stop.get(), protocol); });

  EXPECT_EQ(Stalls(*reader), 0u);
  base::UniqueFd client = testing::ConnectTcp(address);
  ASSERT_TRUE(client);
  // Something to read: the listener holds a connection back until its first bytes arrive.
  ASSERT_EQ(::send(client.get(), "x", 1, MSG_NOSIGNAL), 1);
  // The count rises while the handler still spins (the bound is 50 ms, the spin 600 ms).
  bool seen_while_spinning = false;
  testing::WaitFor([&] {
    if (protocol.spinning.load() && Stalls(*reader) == 1) seen_while_spinning = true;
    return protocol.served.load() != 0;
  });
  EXPECT_TRUE(seen_while_spinning);
  EXPECT_EQ(protocol.served.load(), 1);
  std::this_thread::sleep_for(150ms);  // idle hubs afterwards add nothing
  EXPECT_EQ(Stalls(*reader), 1u);

  const uint64_t one = 1;
  EXPECT_EQ(::write(stop.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
  server.join();
  EXPECT_TRUE(served.ok()) << served;
  ::unlink(path.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace corral::models
