// The pieces of the health probe and memory guard that need no agent: the kernel's answer on
// whether a connection was accepted (what the tcp probe relies on), the probe against real
// sockets in a real event loop, and the memory guard's wording.
#include "agent/health_check.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <thread>

#include "agent/accept_check.h"
#include "agent/health_watch.h"
#include "agent/memory_guard.h"
#include "agent/restart_policy.h"
#include "base/unique_fd.h"
#include "gtest/gtest.h"
#include "servers/net/address.h"

namespace corral::agent {
namespace {

// A listener on 127.0.0.1 port 0 that nobody accepts on, as the agent holds one for a server.
struct Listener {
  base::UniqueFd fd;
  std::string address;
};

Listener Listen() {
  Listener l;
  l.fd.Reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&in), sizeof in), 0);
  EXPECT_EQ(::listen(l.fd.get(), 16), 0);
  socklen_t length = sizeof in;
  ::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&in), &length);
  l.address = "127.0.0.1:" + std::to_string(ntohs(in.sin_port));
  return l;
}

base::UniqueFd Connect(const std::string& address) {
  absl::StatusOr<net::Address> a = net::Address::Parse(address);
  base::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  EXPECT_EQ(::connect(fd.get(), a->sockaddr_ptr(), a->length()), 0);
  return fd;
}

TEST(AcceptCheckTest, AQueuedConnectionIsNotAcceptedUntilTheServerAcceptsIt) {
  Listener listener = Listen();
  base::UniqueFd client = Connect(listener.address);  // succeeds: the kernel's handshake
  absl::StatusOr<bool> accepted = PeerAccepted(client.get());
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_FALSE(*accepted);
  base::UniqueFd server(::accept(listener.fd.get(), nullptr, nullptr));
  ASSERT_TRUE(server);
  EXPECT_TRUE(*PeerAccepted(client.get()));
  server.Reset();  // accepted and closed: still accepted
  EXPECT_TRUE(*PeerAccepted(client.get()));
}

// Runs `loop` on a thread until the probe reports or `seconds` pass; the reason, if any.
std::optional<std::string> RunProbe(spec::HealthMode mode, const std::string& address,
                                    int seconds) {
  EventLoop loop;
  std::optional<std::string> reason;
  std::unique_ptr<HealthCheck> check;
  loop.RunInLoop([&] {
    HealthCheck::Options options;
    options.mode = mode;
    options.address = address;
    options.interval = std::chrono::milliseconds(20);
    options.timeout = std::chrono::milliseconds(100);
    options.failures = 2;
    check = std::make_unique<HealthCheck>(loop, options, [&](std::string why) {
      reason = why;
      check.reset();  // the supervisor may destroy it from here
      loop.Quit();
    });
  });
  loop.RunAfter(std::chrono::seconds(seconds), [&] { loop.Quit(); });
  loop.Run();
  check.reset();
  return reason;
}

TEST(HealthCheckTest, TcpFailsOnAListenerNobodyAccepts) {
  Listener listener = Listen();
  EXPECT_EQ(RunProbe(spec::HealthMode{spec::HealthMode::kTcp, ""}, listener.address, 20),
            "health check tcp failed 2 times: timeout after 100 ms");
}

TEST(HealthCheckTest, TcpPassesWhileTheServerAccepts) {
  Listener listener = Listen();
  std::thread acceptor([&] {
    while (true) {
      int fd = ::accept(listener.fd.get(), nullptr, nullptr);
      if (fd < 0) return;
      ::close(fd);
    }
  });
  EXPECT_EQ(RunProbe(spec::HealthMode{spec::HealthMode::kTcp, ""}, listener.address, 1),
            std::nullopt);
  ::shutdown(listener.fd.get(), SHUT_RDWR);
  acceptor.join();
}

TEST(HealthCheckTest, HttpNamesARefusedConnectAndABadAnswer) {
  Listener listener = Listen();
  const std::string address = listener.address;
  listener.fd.Reset();  // nothing listens there now
  std::optional<std::string> reason =
      RunProbe(spec::HealthMode{spec::HealthMode::kHttp, "/healthz"}, address, 20);
  EXPECT_EQ(reason, "health check http:/healthz failed 2 times: connect " + address +
                        ": connection refused");

  Listener answering = Listen();
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      base::UniqueFd fd(::accept(answering.fd.get(), nullptr, nullptr));
      char buf[512];
      (void)::recv(fd.get(), buf, sizeof buf, 0);
      const char answer[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";
      (void)::send(fd.get(), answer, sizeof answer - 1, MSG_NOSIGNAL);
    }
  });
  reason = RunProbe(spec::HealthMode{spec::HealthMode::kHttp, "/healthz"}, answering.address, 20);
  server.join();
  EXPECT_EQ(reason,
            "health check http:/healthz failed 2 times: answered \"HTTP/1.1 503 Service "
            "Unavailable\"");
}

TEST(MemoryGuardTest, TheReasonSaysByHowMuch) {
  EXPECT_EQ(MemoryGuard::Reason(uint64_t{612} << 20, uint64_t{512} << 20, std::chrono::seconds(3)),
            "memory 612 MiB > max 512 MiB for 3 s");
  EXPECT_EQ(MemoryGuard::Reason(3000 * 1024, 2048 * 1024, std::chrono::milliseconds(1500)),
            "memory 3000 KiB > max 2048 KiB for 1500 ms");
  EXPECT_EQ(MemoryGuard::Reason(900 * 1024, 512 * 1024, std::chrono::seconds(3)),
            "memory 900 KiB > max 512 KiB for 3 s");
}

// A process a check ended failed, even if it chose exit code 0 on SIGTERM: on-failure restarts
// it; never still gives up.
TEST(HealthWatchTest, AnExitAfterAFailedCheckIsAFailure) {
  v1::ServerSpec spec;
  spec.set_restart_policy(v1::RESTART_ON_FAILURE);
  spec.set_max_failures(5);
  spec.set_stable_after_ms(1000);
  const ExitInfo clean;  // code 0
  const auto uptime = std::chrono::milliseconds(60000);
  EXPECT_EQ(DecideAfterExit(spec, clean, true, uptime, 0, 0).event, ServerEvent::kExitedDone);
  EXPECT_EQ(DecideAfterExit(PolicyAfterHealthFailure(spec), clean, true, uptime, 0, 0).event,
            ServerEvent::kExitedRestart);
  spec.set_restart_policy(v1::RESTART_NEVER);
  EXPECT_EQ(PolicyAfterHealthFailure(spec).restart_policy(), v1::RESTART_NEVER);
}

}  // namespace
}  // namespace corral::agent
