// DashboardServer: the web dashboard (corral-agent --dashboard-listen HOST:PORT, issue 24).
// Listens on its own TCP port, plain HTTP or HTTPS (--tls-cert/--tls-key); each connection is
// served by a thread of its own with blocking I/O bounded by kIoTimeout, one request per
// connection, except the long-lived event streams. Bounds on what the outside can hold: at most
// kMaxConnections connections at once (one more is answered 503), a few of them streams
// (DashboardRoutes::kMaxStreams), sessions bounded by SessionStore, requests by http_message.h.
//
// Access: with a token table (--token-file), a browser logs in with a token and gets a session
// cookie carrying its holder's role; without one the dashboard must listen on loopback, and
// every visitor is a monitor (sees all, changes nothing): a local port is open to every user of
// the machine, whereas the control socket admits only its owner, so actions need a token.
//
// Threads: Start and the destructor from main; the rest on the dashboard's own threads.
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "agent/dashboard/client_stream.h"
#include "agent/token_file.h"
#include "base/unique_fd.h"
#include "corral/v1/server.pb.h"
#include "corral/v1/stats.pb.h"

namespace corral::agent::dashboard {

class DashboardFeed;
class DashboardRoutes;

struct DashboardOptions {
  std::string listen;                // HOST:PORT (port 0: any)
  std::string socket_path;           // the agent's control socket, which the feed calls
  std::shared_ptr<TlsContext> tls;   // null: plain HTTP
  std::optional<TokenTable> tokens;  // nullopt: loopback only, everyone a monitor
  std::string chartjs_path;          // Chart.js as Debian installs it; read once at start
};

// Where Debian's libjs-chart.js puts the UMD build the page loads.
inline constexpr const char* kDebianChartJs = "/usr/share/javascript/chart.js/chart.min.js";

class DashboardServer {
 public:
  static constexpr size_t kMaxConnections = 64;
  static constexpr std::chrono::milliseconds kIoTimeout{10000};

  // Errors: INVALID_ARGUMENT for a bad address or a non-loopback one without tokens; the
  // bind/listen failure otherwise.
  static absl::StatusOr<std::unique_ptr<DashboardServer>> Start(DashboardOptions options);
  // Closes the listener, ends every stream and connection, and joins every thread.
  ~DashboardServer();

  // The agent's once-a-second sample of every server (StatsService::SetSampleObserver), for
  // the table every page shows. Any thread; copies and returns at once.
  void Publish(const std::vector<v1::Server>& servers, const v1::StatsReport& report);

  // "HOST:PORT" actually bound.
  const std::string& address() const { return address_; }
  // "http" or "https".
  const char* scheme() const { return options_.tls ? "https" : "http"; }

 private:
  struct Connection {
    std::thread thread;
    // Set while the thread serves it (after the TLS handshake), for the destructor to shut down.
    ClientStream* stream = nullptr;
    bool done = false;  // the thread has finished serving
  };
  DashboardServer(DashboardOptions options, base::UniqueFd listener, base::UniqueFd wakeup,
                  std::string address);
  void AcceptLoop();
  // Takes a new connection (or refuses it, at the limit); joins the threads that are done.
  void Admit(base::UniqueFd fd);
  void Serve(Connection* connection, base::UniqueFd fd);

  DashboardOptions options_;
  base::UniqueFd listener_;
  base::UniqueFd wakeup_;  // eventfd: the destructor writes it to end AcceptLoop
  std::string address_;
  std::unique_ptr<DashboardFeed> feed_;
  std::unique_ptr<DashboardRoutes> routes_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::list<Connection> connections_ ABSL_GUARDED_BY(mu_);
  std::thread accept_thread_;
};

}  // namespace corral::agent::dashboard
