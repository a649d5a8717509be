// The agent's Prometheus endpoint (--metrics-listen) end to end: a known workload through a
// real server, then the scraped text checked line by line against the exposition format and
// for the exact counts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/integration/stats_fixture.h"

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

TEST_F(StatsTest, MetricsEndpointServesValidPrometheusText) {
  StartStatsAgent({"--metrics-listen", "127.0.0.1:0"});
  // The agent logs the port it bound.
  std::string address;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (address.empty() && std::chrono::steady_clock::now() < deadline) {
    std::ifstream log(home_ + "/agent.log");
    std::stringstream content;
    content << log.rdbuf();
    std::smatch m;
    std::string text = content.str();
    if (std::regex_search(text, m, std::regex(R"(http://([0-9.]+:[0-9]+)/metrics)"))) {
      address = m[1];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
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

}  // namespace
}  // namespace corral::testing
