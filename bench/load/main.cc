// corral-load: the TCP/UDP echo and HTTP load generator and idle-connection holder behind
// bench/compare and bench/latency.
// Exit codes: 0 every echo or response verified, 1 a wrong echo or response or a connection
// error, 2 bad flags.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <thread>
#include <vector>

#include "base/version.h"
#include "bench/load/http_load.h"
#include "bench/load/idle_load.h"
#include "bench/load/load_run.h"
#include "bench/load/tcp_echo_load.h"
#include "bench/load/udp_echo_load.h"

namespace corral::load {
namespace {

// 10,000 idle connections need more descriptors than the usual soft limit of 1024.
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Splits the connections over `threads` loops (each on its own thread) and merges what they
// found.
template <typename Run>
LoadResult RunThreads(const LoadOptions& options, Run run) {
  int threads = std::max(1, std::min(options.threads, options.connections));
  std::vector<LoadResult> results(threads);
  std::vector<std::thread> workers;
  int first = 0;
  for (int t = 0; t < threads; ++t) {
    int count = options.connections / threads + (t < options.connections % threads ? 1 : 0);
    workers.emplace_back(
        [&, t, first, count] { results[t] = run(options, static_cast<uint32_t>(first), count); });
    first += count;
  }
  LoadResult total;
  for (int t = 0; t < threads; ++t) {
    workers[t].join();
    total.Merge(results[t]);
  }
  return total;
}

}  // namespace
}  // namespace corral::load

int main(int argc, char** argv) {
  using corral::load::LoadOptions;
  LoadOptions options;
  std::string tcp, udp, http;
  int idle = 0;
  double duration = 5, warmup = 1, hold = 5;
  int udp_timeout_ms = 1000;
  bool json = false;
  CLI::App app{
      "corral-load: echo or HTTP load against a loopback server; every echo and every "
      "response is verified, and each connection's answers are counted."};
  app.set_version_flag("-V,--version", std::string("corral-load ") + corral::base::kVersion);
  auto* tcp_opt = app.add_option("--tcp", tcp, "HOST:PORT of a TCP echo server");
  auto* udp_opt = app.add_option("--udp", udp, "HOST:PORT of a UDP echo server");
  auto* http_opt = app.add_option("--http", http, "HOST:PORT of an HTTP server (GET --path)");
  tcp_opt->excludes(udp_opt)->excludes(http_opt);
  udp_opt->excludes(http_opt);
  app.add_option("--path", options.path, "HTTP: the path requested")
      ->capture_default_str()
      ->needs(http_opt);
  app.add_flag("--close", options.close, "HTTP: Connection: close, a connection per request")
      ->needs(http_opt);
  app.add_option("--expect-status", options.expect_status, "HTTP: the status every answer has")
      ->capture_default_str()
      ->needs(http_opt);
  app.add_option("--expect-length", options.expect_length,
                 "HTTP: the body length every answer has (-1: any)")
      ->capture_default_str()
      ->needs(http_opt);
  app.add_option("--rate", options.rate,
                 "HTTP open loop: requests/s over all connections, each connection on a fixed "
                 "schedule (pipelined when an answer is late); latency counts from the "
                 "scheduled time. 0: closed loop")
      ->capture_default_str()
      ->needs(http_opt)
      ->check(CLI::Range(0.0, 1e7));
  double drain = 1;
  app.add_option("--drain", drain, "open loop: seconds to wait for late answers at the end")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--connections", options.connections, "TCP connections or UDP sockets")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--size", options.size, "bytes per message")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{65507}));
  app.add_option("--duration", duration, "measured seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--warmup", warmup, "seconds run before measuring")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--threads", options.threads, "load threads, one epoll loop each")
      ->capture_default_str()
      ->check(CLI::Range(1, 2));
  app.add_option("--udp-timeout-ms", udp_timeout_ms, "a datagram unanswered this long is lost")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--idle", idle, "open N TCP connections, hold them, check they stay served")
      ->needs(tcp_opt)
      ->check(CLI::Range(1, 100000));
  app.add_option("--hold", hold, "idle mode: seconds to hold the connections")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 600.0));
  app.add_flag("--json", json, "print one JSON object instead of text");
  try {
    app.parse(argc, argv);
    if (tcp.empty() && udp.empty() && http.empty()) {
      throw CLI::RequiredError("--tcp, --udp or --http");
    }
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  std::string error;
  if (!corral::load::ParseLoopbackTarget(!tcp.empty()   ? tcp
                                         : !udp.empty() ? udp
                                                        : http,
                                         &options.target, &error)) {
    std::fprintf(stderr, "corral-load: %s\n", error.c_str());
    return 2;
  }
  options.duration = std::chrono::duration<double>(duration);
  options.warmup = std::chrono::duration<double>(warmup);
  options.idle_hold = std::chrono::duration<double>(hold);
  options.udp_timeout = std::chrono::milliseconds(udp_timeout_ms);
  options.drain = std::chrono::duration<double>(drain);
  corral::load::RaiseDescriptorLimit();

  corral::load::LoadResult result;
  std::string mode;
  if (idle > 0) {
    mode = "tcp-idle";
    options.connections = idle;
    result = corral::load::RunIdle(options, idle);
  } else if (!http.empty()) {
    mode = options.rate > 0 ? "http-open" : "http";
    // Connections open from here; the schedule starts once they have had time to connect.
    options.start = corral::load::Clock::now() + std::chrono::milliseconds(50);
    result = corral::load::RunThreads(options, corral::load::RunHttp);
  } else if (!tcp.empty()) {
    mode = "tcp-echo";
    result = corral::load::RunThreads(options, corral::load::RunTcpEcho);
  } else {
    mode = "udp-echo";
    result = corral::load::RunThreads(options, corral::load::RunUdpEcho);
  }
  corral::load::PrintResult(mode, options, result, json);
  return result.Ok() ? 0 : 1;
}
