// StatsTest: AgentTest with a corral.v1.Stats stub, and the socket helpers the statistics
// tests drive their known workloads with. Shared by stats_test.cc and stats_metrics_test.cc.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "corral/v1/stats.grpc.pb.h"
#include "tests/integration/agent_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {

inline constexpr int kMessages = 50;
inline constexpr size_t kMessageBytes = 64;

// A blocking socket connected (TCP) or aimed (UDP) at "HOST:PORT", with 20 s timeouts.
int ConnectTo(const std::string& address, int type);

// Sends `message` and reads its whole echo; false on any failure.
bool EchoOn(int fd, const std::string& message, bool datagram);

class StatsTest : public AgentTest {
 protected:
  // The fixture already runs an agent; one with `extra` flags replaces it.
  void StartStatsAgent(std::vector<std::string> extra = {}) {
    if (!extra.empty()) {
      stub_.reset();
      agent_.reset();
      extra.insert(extra.begin(), "--stop-servers-on-exit");
      StartAgent(extra);
    }
    stats_ = v1::Stats::NewStub(
        grpc::CreateChannel(socket_address(), grpc::InsecureChannelCredentials()));
  }

  grpc::Status GetStats(const std::string& name, v1::StatsReport* report, bool workers = false) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetStatsRequest request;
    request.set_name(name);
    request.set_per_worker(workers);
    return stats_->GetStats(&context, request, report);
  }

  // Polls GetStats until `done` holds (20 s at most); returns the last stats seen.
  v1::ServerStats WaitForStats(const std::string& name,
                               const std::function<bool(const v1::ServerStats&)>& done) {
    v1::ServerStats last;
    WaitFor([&] {
      v1::StatsReport report;
      if (!GetStats(name, &report).ok() || report.servers_size() != 1) return false;
      last = report.servers(0);
      return done(last);
    });
    return last;
  }

  std::unique_ptr<v1::Stats::Stub> stats_;
};

}  // namespace corral::testing
