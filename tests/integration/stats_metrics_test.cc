// The agent's Prometheus endpoint (--metrics-listen) end to end: a known workload through a
// real server, then the scraped text checked line by line against the exposition format and
// for the exact counts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/integration/stats_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

using ::testing::HasSubstr;

// The Prometheus text format, checked line by line (what a scraper's parser insists on).
void ExpectValidExposition(const std::string& text) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? )"
      R"((-?[0-9.]+([eE][-+]?[0-9]+)?|\+Inf|-Inf|NaN)$)");
  std::set<std::string> help, type;
  std::map<std::string, std::string> types;
  std::map<std::string, uint64_t> last_bucket;  // per label set without le
  std::map<std::string, uint64_t> inf_bucket, count;
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit(text, '\n', absl::SkipEmpty()))) {
    if (absl::StartsWith(line, "# HELP ")) {
      std::string rest = line.substr(7);
      help.insert(rest.substr(0, rest.find(' ')));
      continue;
    }
    if (absl::StartsWith(line, "# TYPE ")) {
      std::vector<std::string> parts = absl::StrSplit(line.substr(7), ' ');
      ASSERT_EQ(parts.size(), 2u) << line;
      types[parts[0]] = parts[1];
      continue;
    }
    ASSERT_FALSE(absl::StartsWith(line, "#")) << line;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, kSample)) << "not `name{labels} value`: " << line;
    std::string name = m[1];
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (absl::EndsWith(name, suffix) &&
          types.count(name.substr(0, name.size() - strlen(suffix)))) {
        family = name.substr(0, name.size() - strlen(suffix));
      }
    }
    EXPECT_TRUE(help.count(family)) << "no HELP for " << family;
    EXPECT_TRUE(types.count(family)) << "no TYPE for " << family;
    std::string labels = m[2];
    std::string value = line.substr(line.rfind(' ') + 1);
    if (absl::EndsWith(name, "_bucket")) {
      size_t le = labels.find(",le=\"");
      ASSERT_NE(le, std::string::npos) << line;
      std::string series = labels.substr(0, le);
      uint64_t v = std::stoull(value);
      EXPECT_GE(v, last_bucket[series]) << "buckets must not decrease: " << line;
      last_bucket[series] = v;
      if (absl::StrContains(labels, "le=\"+Inf\"")) inf_bucket[series] = v;
    } else if (absl::EndsWith(name, "_count") && types[family] == "histogram") {
      count[labels.substr(0, labels.size() - 1)] = std::stoull(value);
    }
  }
  ASSERT_FALSE(inf_bucket.empty());
  for (const auto& [series, v] : inf_bucket) {
    ASSERT_TRUE(count.count(series)) << series;
    EXPECT_EQ(v, count[series]) << "+Inf bucket must equal _count for " << series;
  }
}

std::string HttpGet(const std::string& address, const std::string& path) {
  int fd = ConnectTo(address, SOCK_STREAM);
  if (fd < 0) return "";
  std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: x\r\n\r\n");
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buffer[8192];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) response.append(buffer, size_t(n));
  ::close(fd);
  return response;
}

// The address the agent logged for its metrics endpoint ("" if it did not within 20 s).
std::string MetricsAddress(const std::string& home) {
  std::string address;
  WaitFor([&] {
    std::ifstream log(home + "/agent.log");
    std::stringstream content;
    content << log.rdbuf();
    std::smatch m;
    std::string text = content.str();
    if (!std::regex_search(text, m, std::regex(R"(http://([0-9.]+:[0-9]+)/metrics)"))) return false;
    address = m[1];
    return true;
  });
  return address;
}

TEST_F(StatsTest, MetricsEndpointServesValidPrometheusText) {
  StartStatsAgent({"--metrics-listen", "127.0.0.1:0"});
  const std::string address = MetricsAddress(home_);
  ASSERT_FALSE(address.empty()) << "the agent did not log its metrics address";

  v1::Server server;
  ASSERT_TRUE(StartEcho("prom", "127.0.0.1:0", &server, [](v1::ServerSpec& spec) {
                spec.set_model(v1::MODEL_FORK);
              }).ok());
  int fd = ConnectTo(server.bound_address(), SOCK_STREAM);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < kMessages; ++i)
    ASSERT_TRUE(EchoOn(fd, std::string(kMessageBytes, 'p'), false));
  ::close(fd);
  WaitForStats("prom", [](const v1::ServerStats& s) {
    return s.totals().requests() == kMessages && s.totals().connections_closed() == 1;
  });

  std::string response = HttpGet(address, "/metrics");
  ASSERT_THAT(response, ::testing::StartsWith("HTTP/1.1 200 OK\r\n"));
  std::string body = response.substr(response.find("\r\n\r\n") + 4);
  ExpectValidExposition(body);
  const std::string labels = "{server=\"prom\",protocol=\"tcp-echo\",model=\"fork\"}";
  EXPECT_THAT(body, HasSubstr(absl::StrCat("corral_requests_total", labels, " ", kMessages, "\n")));
  EXPECT_THAT(body, HasSubstr(absl::StrCat("corral_received_bytes_total", labels, " ",
                                           kMessages * kMessageBytes, "\n")));
  EXPECT_THAT(body, HasSubstr(absl::StrCat("corral_request_duration_seconds_count", labels, " ",
                                           kMessages, "\n")));
  EXPECT_THAT(body, HasSubstr(absl::StrCat("corral_server_up", labels, " 1\n")));
  EXPECT_THAT(HttpGet(address, "/"), ::testing::StartsWith("HTTP/1.1 404"));
}

// A scraper that never finishes its request: it sends a byte every 100 ms until the endpoint
// closes the connection, and notes when that happened.
class TricklingClient {
 public:
  explicit TricklingClient(const std::string& address)
      : fd_(ConnectTo(address, SOCK_STREAM)), thread_([this] { Run(); }) {}
  ~TricklingClient() {
    stop_ = true;
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }

  bool connected() const { return fd_ >= 0; }
  // Whether the endpoint closed it (the client never stops sending by itself).
  bool closed() const { return closed_; }

 private:
  void Run() {
    const std::string request = "GET /metrics HTTP/1.1\r\nX-Slow: ";
    for (size_t i = 0; fd_ >= 0 && !stop_; ++i) {
      char byte = i < request.size() ? request[i] : 'x';
      if (::send(fd_, &byte, 1, MSG_NOSIGNAL) != 1) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) == 0) continue;  // the pace: the next byte after 100 ms
      char c;
      if (::recv(fd_, &c, 1, MSG_DONTWAIT) <= 0) break;
      return;  // an answer to a request never finished: not what this client expects
    }
    closed_ = !stop_;
  }

  const int fd_;
  std::atomic<bool> stop_ = false;
  std::atomic<bool> closed_ = false;
  std::thread thread_;
};

// Sockets the process `pid` has open.
int CountSockets(pid_t pid) {
  int sockets = 0;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    if (std::filesystem::read_symlink(entry.path(), ec).string().starts_with("socket:")) {
      ++sockets;
    }
  }
  return sockets;
}

// Whether the peer closes `fd` within `timeout` (without sending anything first).
bool ClosedByPeerWithin(int fd, std::chrono::seconds timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count() * 1000)) != 1) return false;
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

TEST_F(StatsTest, MetricsEndpointAnswersScrapesWhileSlowClientsHoldIt) {
  StartStatsAgent({"--metrics-listen", "127.0.0.1:0"});
  const std::string address = MetricsAddress(home_);
  ASSERT_FALSE(address.empty()) << "the agent did not log its metrics address";
  const int sockets_before = CountSockets(agent_->pid());

  // Three clients trickle requests that never end; scrapes meanwhile are answered.
  std::vector<std::unique_ptr<TricklingClient>> trickling;
  for (int i = 0; i < 3; ++i) {
    trickling.push_back(std::make_unique<TricklingClient>(address));
    ASSERT_TRUE(trickling.back()->connected());
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(HttpGet(address, "/metrics"), ::testing::StartsWith("HTTP/1.1 200 OK\r\n"));
  }

  // More silent connections than the endpoint keeps open (32): a scrape still gets through,
  // and the endpoint holds no more than its bound.
  std::vector<int> silent;
  for (int i = 0; i < 40; ++i) {
    silent.push_back(ConnectTo(address, SOCK_STREAM));
    ASSERT_GE(silent.back(), 0);
  }
  ASSERT_THAT(HttpGet(address, "/metrics"), ::testing::StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_LE(CountSockets(agent_->pid()) - sockets_before, 32);

  // Each slow connection is closed by its total deadline (5 s), although the tricklers never
  // stopped sending.
  for (int fd : silent) {
    EXPECT_TRUE(ClosedByPeerWithin(fd, std::chrono::seconds(20)));
    ::close(fd);
  }
  for (const auto& client : trickling) EXPECT_TRUE(WaitFor([&] { return client->closed(); }));
}

}  // namespace
}  // namespace corral::testing
