#include "bench/load/load_run.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>

namespace corral::load {

void LoadResult::Merge(const LoadResult& other) {
  messages += other.messages;
  bytes += other.bytes;
  wrong_echoes += other.wrong_echoes;
  connection_errors += other.connection_errors;
  losses += other.losses;
  late_replies += other.late_replies;
  bad_responses += other.bad_responses;
  retries += other.retries;
  scheduled += other.scheduled;
  unanswered += other.unanswered;
  per_connection.insert(per_connection.end(), other.per_connection.begin(),
                        other.per_connection.end());
  if (per_second.size() < other.per_second.size()) per_second.resize(other.per_second.size());
  for (size_t i = 0; i < other.per_second.size(); ++i) per_second[i] += other.per_second[i];
  if (window_start_unix == 0) window_start_unix = other.window_start_unix;
  seconds = std::max(seconds, other.seconds);
  latency.Merge(other.latency);
}

int LoadResult::AnsweredConnections() const {
  return static_cast<int>(std::count_if(per_connection.begin(), per_connection.end(),
                                        [](uint64_t n) { return n > 0; }));
}

double LoadResult::SlowestShare() const {
  if (per_connection.empty()) return 0;
  uint64_t total = std::accumulate(per_connection.begin(), per_connection.end(), uint64_t{0});
  if (total == 0) return 0;
  double mean = static_cast<double>(total) / static_cast<double>(per_connection.size());
  return static_cast<double>(*std::min_element(per_connection.begin(), per_connection.end())) /
         mean;
}

bool ParseLoopbackTarget(const std::string& text, sockaddr_in* out, std::string* error) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    *error = "target \"" + text + "\": expected HOST:PORT";
    return false;
  }
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  char* end = nullptr;
  long number = std::strtol(port.c_str(), &end, 10);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (port.empty() || *end != '\0' || number <= 0 || number > 65535 ||
      inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    *error = "target \"" + text + "\": expected a numeric IPv4 address and a port 1-65535";
    return false;
  }
  if ((ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
    *error = "target \"" + text + "\": only loopback (127.0.0.0/8) targets are allowed";
    return false;
  }
  addr.sin_port = htons(static_cast<uint16_t>(number));
  *out = addr;
  return true;
}

namespace {

std::string PerSecondText(const LoadResult& r, const char* separator) {
  std::string text;
  for (size_t i = 0; i < r.per_second.size(); ++i) {
    if (i > 0) text += separator;
    text += std::to_string(r.per_second[i]);
  }
  return text;
}

}  // namespace

void PrintResult(const std::string& mode, const LoadOptions& options, const LoadResult& r,
                 bool json) {
  double secs = r.seconds > 0 ? r.seconds : 1;
  double rate = static_cast<double>(r.messages) / secs;
  double byte_rate = static_cast<double>(r.bytes) / secs;
  auto us = [&](double q) { return static_cast<double>(r.latency.Quantile(q)) / 1e3; };
  if (json) {
    std::printf(
        "{\"mode\":\"%s\",\"connections\":%d,\"size\":%zu,\"seconds\":%.3f,"
        "\"messages\":%llu,\"messages_per_s\":%.1f,\"bytes_per_s\":%.1f,"
        "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
        "\"wrong_echoes\":%llu,\"connection_errors\":%llu,\"losses\":%llu,"
        "\"late_replies\":%llu,\"bad_responses\":%llu,\"retries\":%llu,"
        "\"scheduled\":%llu,\"unanswered\":%llu,\"connections_answered\":%d,"
        "\"slowest_share\":%.3f,\"window_start_unix\":%.3f,\"per_second\":[%s],\"ok\":%s}\n",
        mode.c_str(), options.connections, options.size, r.seconds,
        static_cast<unsigned long long>(r.messages), rate, byte_rate, us(0.5), us(0.99), us(0.999),
        static_cast<double>(r.latency.max()) / 1e3, static_cast<unsigned long long>(r.wrong_echoes),
        static_cast<unsigned long long>(r.connection_errors),
        static_cast<unsigned long long>(r.losses), static_cast<unsigned long long>(r.late_replies),
        static_cast<unsigned long long>(r.bad_responses),
        static_cast<unsigned long long>(r.retries), static_cast<unsigned long long>(r.scheduled),
        static_cast<unsigned long long>(r.unanswered), r.AnsweredConnections(), r.SlowestShare(),
        r.window_start_unix, PerSecondText(r, ",").c_str(), r.Ok() ? "true" : "false");
  } else {
    if (mode.rfind("http", 0) == 0) {
      std::printf("%s: %d connections, GET %s%s, %.2f s measured\n", mode.c_str(),
                  options.connections, options.path.c_str(),
                  options.close ? " (Connection: close)" : "", r.seconds);
    } else {
      std::printf("%s: %d connections, %zu-byte messages, %.2f s measured\n", mode.c_str(),
                  options.connections, options.size, r.seconds);
    }
    std::printf("  messages/s   %.1f\n  bytes/s      %.1f\n", rate, byte_rate);
    std::printf("  latency us   p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", us(0.5), us(0.99),
                us(0.999), static_cast<double>(r.latency.max()) / 1e3);
    std::printf("  wrong echoes %llu  connection errors %llu  lost %llu  late %llu\n",
                static_cast<unsigned long long>(r.wrong_echoes),
                static_cast<unsigned long long>(r.connection_errors),
                static_cast<unsigned long long>(r.losses),
                static_cast<unsigned long long>(r.late_replies));
    std::printf("  connections answered %d/%zu  slowest share %.3f\n", r.AnsweredConnections(),
                r.per_connection.size(), r.SlowestShare());
    if (mode.rfind("http", 0) == 0) {
      std::printf("  bad responses %llu  retried %llu  scheduled %llu  unanswered %llu\n",
                  static_cast<unsigned long long>(r.bad_responses),
                  static_cast<unsigned long long>(r.retries),
                  static_cast<unsigned long long>(r.scheduled),
                  static_cast<unsigned long long>(r.unanswered));
      std::printf("  per second   %s\n", PerSecondText(r, " ").c_str());
    }
  }
  std::fflush(stdout);
}

}  // namespace corral::load
