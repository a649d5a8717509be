// The http protocol through real corral-server processes, under every model configuration,
// spoken to by a raw-socket client (exact bytes, pipelining, hostile input) and by curl.
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/servers/models/server_process.h"
#include "tests/servers/protocols/http/http_test_client.h"

namespace corral::testing {
namespace {

struct ModelCase {
  std::string name;
  std::vector<std::string> flags;
};

void PrintTo(const ModelCase& model, std::ostream* out) { *out << model.name; }

std::vector<ModelCase> AllModels() {
  return {
      {"thread", {"--model", "thread"}},
      {"fork", {"--model", "fork"}},
      {"thread_pool", {"--model", "thread", "--pool-size", "4"}},
      {"fork_pool", {"--model", "fork", "--pool-size", "4"}},
      {"coroutine", {"--model", "coroutine", "--hubs", "2"}},
      {"coroutine_one_hub", {"--model", "coroutine", "--hubs", "1"}},
  };
}

constexpr std::string_view kSecret = "top secret: outside the root\n";
constexpr std::string_view kIndex = "<!doctype html><h1>corral</h1>\n";
constexpr size_t kMediumSize = 100 * 1024;         // above the small-file (writev) limit
constexpr size_t kBigSize = 3 * 1024 * 1024 + 17;  // several sendfile chunks

void WriteFile(const std::string& path, std::string_view content) {
  std::ofstream(path, std::ios::binary) << content;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// Runs a shell command and returns its standard output.
std::string RunShell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  ::pclose(pipe);
  return out;
}

class HttpModelsTest : public ::testing::TestWithParam<ModelCase> {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "corral_http_models_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    root_ = dir_ + "/www";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/sub").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/empty").c_str(), 0755), 0);
    WriteFile(dir_ + "/secret.txt", kSecret);
    WriteFile(root_ + "/index.html", kIndex);
    WriteFile(root_ + "/digits.txt", "0123456789");
    WriteFile(root_ + "/empty.txt", "");
    WriteFile(root_ + "/sub/index.html", "sub index\n");
    medium_ = Pattern(kMediumSize, 1);
    big_ = Pattern(kBigSize, 2);
    WriteFile(root_ + "/medium.bin", medium_);
    WriteFile(root_ + "/big.bin", big_);
    ASSERT_EQ(::symlink("../secret.txt", (root_ + "/link").c_str()), 0);
  }

  void TearDown() override { ASSERT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0); }

  // Starts corral-server --protocol http on this test's root under the parameter's model.
  std::unique_ptr<ServerProcess> Start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--protocol",  "http",   "--listen",
                                     "127.0.0.1:0", "--root", root_};
    args.insert(args.end(), GetParam().flags.begin(), GetParam().flags.end());
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServerProcess>(args);
    EXPECT_TRUE(server->ready()) << server->detail();
    return server;
  }

  std::string Url(const ServerProcess& server, std::string_view path) const {
    return "http://" + server.detail() + std::string(path);
  }

  std::string dir_;
  std::string root_;
  std::string medium_;
  std::string big_;
};

TEST_P(HttpModelsTest, ServesFilesWithValidators) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  std::optional<HttpReply> reply = FetchOnce(server->detail(), Request("GET", "/digits.txt"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(reply->body, "0123456789");
  EXPECT_EQ(reply->Header("Content-Length"), "10");
  EXPECT_EQ(reply->Header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(reply->Header("Accept-Ranges"), "bytes");
  EXPECT_TRUE(reply->Header("ETag").starts_with("\"")) << reply->Header("ETag");
  EXPECT_TRUE(reply->Header("Last-Modified").ends_with(" GMT"));
  EXPECT_TRUE(reply->Header("Date").ends_with(" GMT"));

  reply = FetchOnce(server->detail(), Request("GET", "/"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, kIndex);
  EXPECT_TRUE(reply->Header("Content-Type").starts_with("text/html"));

  reply = FetchOnce(server->detail(), Request("GET", "/sub"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 301);
  EXPECT_EQ(reply->Header("Location"), "/sub/");
  reply = FetchOnce(server->detail(), Request("GET", "/sub/"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "sub index\n");

  reply = FetchOnce(server->detail(), Request("GET", "/empty.txt"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->Header("Content-Length"), "0");
  EXPECT_EQ(reply->body, "");

  reply = FetchOnce(server->detail(), Request("GET", "/healthz"));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, "ok\n");
}

struct StatusCase {
  std::string name;
  std::string request;
  int status;
};

TEST_P(HttpModelsTest, EveryErrorStatus) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  std::string many_headers;
  for (int i = 0; i < 200; ++i)
    many_headers += "X-Filler-" + std::to_string(i) + ": " + std::string(100, 'f') + "\r\n";
  const std::vector<StatusCase> cases = {
      {"bad header", Request("GET", "/", "Bad Header: x\r\n"), 400},
      {"no host on 1.1", "GET / HTTP/1.1\r\n\r\n", 400},
      {"bad content-length", Request("POST", "/echo", "Content-Length: 1x\r\n"), 400},
      {"directory without index", Request("GET", "/empty/"), 403},
      {"symlink out of the root", Request("GET", "/link"), 403},
      {"missing", Request("GET", "/missing.txt"), 404},
      {"method on a file", Request("DELETE", "/digits.txt"), 405},
      {"method on a route", Request("POST", "/healthz", "Content-Length: 0\r\n"), 405},
      {"too large", Request("POST", "/echo", "Content-Length: 100000000\r\n"), 413},
      {"long target", Request("GET", "/" + std::string(9000, 'a')), 414},
      {"large head", Request("GET", "/", many_headers), 431},
      {"unknown method", "BREW /pot HTTP/1.1\r\nHost: test\r\n\r\n", 501},
      {"unknown coding", Request("POST", "/echo", "Transfer-Encoding: gzip, chunked\r\n"), 501},
      // RFC 9112 6.3: without chunked last the body length is unknowable.
      {"chunked not last", Request("POST", "/echo", "Transfer-Encoding: gzip\r\n"), 400},
      {"version", "GET / HTTP/2.0\r\nHost: test\r\n\r\n", 505},
  };
  for (const StatusCase& c : cases) {
    std::optional<HttpReply> reply = FetchOnce(server->detail(), c.request);
    ASSERT_TRUE(reply) << c.name;
    EXPECT_EQ(reply->status, c.status) << c.name;
    EXPECT_EQ(reply->Header("Content-Type"), "text/plain; charset=utf-8") << c.name;
    EXPECT_TRUE(reply->body.starts_with(std::to_string(c.status) + " ")) << c.name;
    EXPECT_LT(reply->body.size(), 64u) << c.name;
    if (c.status == 405) {
      EXPECT_EQ(reply->Header("Allow"), "GET, HEAD") << c.name;
    }
  }
}

TEST_P(HttpModelsTest, TraversalNeverLeavesTheRoot) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  const std::vector<StatusCase> cases = {
      {"dot-dot", Request("GET", "/../secret.txt"), 404},  // clamps at the root
      {"nested dot-dot", Request("GET", "/sub/../../secret.txt"), 404},
      {"encoded dot-dot", Request("GET", "/%2e%2e/secret.txt"), 404},
      {"encoded upper", Request("GET", "/%2E%2E/%2E%2E/secret.txt"), 404},
      {"encoded slash", Request("GET", "/sub/..%2f..%2fsecret.txt"), 400},
      {"encoded slash upper", Request("GET", "/%2e%2e%2Fsecret.txt"), 400},
      {"double encoded", Request("GET", "/%252e%252e/secret.txt"), 404},
      {"absolute form", Request("GET", "http://test/../secret.txt"), 404},
      {"nul", Request("GET", "/digits.txt%00.html"), 400},
      {"symlink", Request("GET", "/link"), 403},
  };
  for (const StatusCase& c : cases) {
    std::optional<HttpReply> reply = FetchOnce(server->detail(), c.request);
    ASSERT_TRUE(reply) << c.name;
    EXPECT_EQ(reply->status, c.status) << c.name;
    EXPECT_EQ(reply->body.find("top secret"), std::string::npos) << c.name;
  }
}

TEST_P(HttpModelsTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  HttpTestClient client(server->detail());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(Request("GET", "/digits.txt")));
  std::optional<HttpReply> first = client.Read();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "0123456789");
  EXPECT_FALSE(first->HasHeader("Connection"));
  ASSERT_TRUE(client.Send(Request("GET", "/index.html")));
  std::optional<HttpReply> second = client.Read();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body, kIndex);
  ASSERT_TRUE(client.Send(Request("GET", "/healthz", "Connection: close\r\n")));
  std::optional<HttpReply> last = client.Read();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->body, "ok\n");
  EXPECT_EQ(last->Header("Connection"), "close");
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_P(HttpModelsTest, PipelinedRequestsAreAnsweredInOrder) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  HttpTestClient client(server->detail());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(
      Request("GET", "/digits.txt") + Request("HEAD", "/medium.bin") + Request("GET", "/big.bin") +
      Request("POST", "/echo", "Content-Length: 5\r\n") + "hello" + Request("GET", "/missing") +
      Request("GET", "/medium.bin") + Request("GET", "/healthz", "Connection: close\r\n") +
      Request("GET", "/never-answered")));
  std::optional<HttpReply> r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "0123456789");
  r = client.Read(/*head_request=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Content-Length"), std::to_string(kMediumSize));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->body == big_);
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "hello");
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->body == medium_);
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "ok\n");
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_TRUE(client.ClosedByServer()) << "a request after Connection: close was answered";
}

TEST_P(HttpModelsTest, Http10ClosesUnlessAskedToKeepAlive) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  HttpTestClient kept(server->detail());
  ASSERT_TRUE(kept.Send("GET /digits.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  std::optional<HttpReply> r = kept.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "0123456789");
  EXPECT_EQ(r->Header("Connection"), "keep-alive");
  ASSERT_TRUE(kept.Send("GET /healthz HTTP/1.0\r\n\r\n"));
  r = kept.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "ok\n");
  EXPECT_EQ(r->Header("Connection"), "close");
  EXPECT_TRUE(kept.ClosedByServer());
}

TEST_P(HttpModelsTest, HeadSendsTheHeadOnly) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  HttpTestClient client(server->detail());
  ASSERT_TRUE(client.Send(Request("HEAD", "/big.bin")));
  std::optional<HttpReply> r = client.Read(/*head_request=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Content-Length"), std::to_string(kBigSize));
  EXPECT_EQ(r->Header("Content-Type"), "application/octet-stream");
  // Not one body byte came: the next response starts right after the head.
  ASSERT_TRUE(client.Send(Request("HEAD", "/healthz") + Request("GET", "/digits.txt")));
  r = client.Read(/*head_request=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("Content-Length"), "3");
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "0123456789");
}

TEST_P(HttpModelsTest, ConditionalRequestsGet304) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  HttpTestClient client(server->detail());
  ASSERT_TRUE(client.Send(Request("GET", "/digits.txt")));
  std::optional<HttpReply> full = client.Read();
  ASSERT_TRUE(full);
  const std::string etag = full->Header("ETag");
  const std::string modified = full->Header("Last-Modified");

  ASSERT_TRUE(client.Send(Request("GET", "/digits.txt", "If-None-Match: " + etag + "\r\n")));
  std::optional<HttpReply> r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);
  EXPECT_EQ(r->Header("ETag"), etag);
  EXPECT_FALSE(r->HasHeader("Content-Length"));

  ASSERT_TRUE(
      client.Send(Request("GET", "/digits.txt", "If-Modified-Since: " + modified + "\r\n")));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);

  ASSERT_TRUE(client.Send(Request("GET", "/digits.txt", "If-None-Match: \"other\"\r\n")));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "0123456789");
}

TEST_P(HttpModelsTest, SingleRangesGet206Or416) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  HttpTestClient client(server->detail());
  ASSERT_TRUE(client.Send(Request("GET", "/digits.txt", "Range: bytes=2-5\r\n")));
  std::optional<HttpReply> r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, "2345");
  EXPECT_EQ(r->Header("Content-Range"), "bytes 2-5/10");

  ASSERT_TRUE(client.Send(Request("GET", "/digits.txt", "Range: bytes=-3\r\n")));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_EQ(r->body, "789");

  ASSERT_TRUE(client.Send(Request("GET", "/digits.txt", "Range: bytes=10-\r\n")));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 416);
  EXPECT_EQ(r->Header("Content-Range"), "bytes */10");

  // A range of a large file goes through sendfile from an offset.
  ASSERT_TRUE(client.Send(Request("GET", "/big.bin", "Range: bytes=1000000-2500000\r\n")));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 206);
  EXPECT_TRUE(r->body == big_.substr(1000000, 1500001));
  EXPECT_EQ(r->Header("Content-Range"), "bytes 1000000-2500000/" + std::to_string(kBigSize));
}

TEST_P(HttpModelsTest, EchoRouteReturnsTheBody) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  HttpTestClient client(server->detail());
  const std::string payload = Pattern(50'000, 5);
  ASSERT_TRUE(client.Send(
      Request("POST", "/echo", "Content-Type: application/x-test\r\nContent-Length: 50000\r\n") +
      payload));
  std::optional<HttpReply> r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Content-Type"), "application/x-test");
  EXPECT_TRUE(r->body == payload);

  ASSERT_TRUE(client.Send(Request("PUT", "/echo", "Transfer-Encoding: chunked\r\n") +
                          "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "hello world");

  ASSERT_TRUE(
      client.Send(Request("POST", "/echo", "Expect: 100-continue\r\nContent-Length: 5\r\n")));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 100);
  ASSERT_TRUE(client.Send("hello"));
  r = client.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
}

// With --idle-timeout-ms 300 the header timeout is min(10 s, 300 ms): a client dribbling a
// header line every 100 ms never trips the idle timeout, but its head is late.
TEST_P(HttpModelsTest, SlowClientsGet408WhileOthersAreServed) {
  auto server = Start({"--idle-timeout-ms", "300"});
  ASSERT_TRUE(server->ready());

  std::optional<HttpReply> slow_reply;
  bool slow_closed = false;
  std::thread slow([&] {
    HttpTestClient client(server->detail());
    if (!client.Send("GET /digits.txt HTTP/1.1\r\nHost: test\r\n")) return;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < give_up) {
      pollfd pfd{client.fd(), POLLIN, 0};
      if (::poll(&pfd, 1, 100) > 0) break;  // the server answered
      if (!client.Send("X-Slow: 1\r\n")) break;
    }
    slow_reply = client.Read();
    slow_closed = client.ClosedByServer();
  });
  std::thread slow_body([&] {
    HttpTestClient client(server->detail());
    client.Send(Request("POST", "/echo", "Content-Length: 10\r\n") + "abc");
    std::optional<HttpReply> r = client.Read();
    EXPECT_TRUE(r && r->status == 408) << (r ? r->status_line : "no reply");
  });
  std::thread silent([&] {
    HttpTestClient client(server->detail());
    EXPECT_TRUE(client.ClosedByServer()) << "an idle connection got bytes instead of a close";
  });

  for (int i = 0; i < 20; ++i) {
    std::optional<HttpReply> r = FetchOnce(server->detail(), Request("GET", "/digits.txt"));
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->body, "0123456789") << i;
  }
  slow.join();
  slow_body.join();
  silent.join();
  ASSERT_TRUE(slow_reply);
  EXPECT_EQ(slow_reply->status, 408);
  EXPECT_EQ(slow_reply->Header("Connection"), "close");
  EXPECT_TRUE(slow_closed);
}

// SIGTERM with a keep-alive connection idle between requests and another stuck inside a head:
// the drain deadline ends both (under the coroutine model by killing their greenlets, whose
// exit passes through the handler) and the server exits cleanly.
TEST_P(HttpModelsTest, DrainEndsKeepAliveAndHalfSentRequests) {
  auto server = Start({"--drain-timeout-ms", "300"});
  ASSERT_TRUE(server->ready());
  HttpTestClient idle(server->detail());
  ASSERT_TRUE(idle.Send(Request("GET", "/digits.txt")));
  std::optional<HttpReply> r = idle.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "0123456789");
  HttpTestClient half(server->detail());
  ASSERT_TRUE(half.Send("GET /digits.txt HTTP/1.1\r\nHost: te"));
  // Let the server pick the half request up before it is told to stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int status = server->SignalAndWait(SIGTERM, std::chrono::seconds(20));
  ASSERT_NE(status, -1) << "the drain deadline did not end the server";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_P(HttpModelsTest, TwoHundredConcurrentKeepAliveClients) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 200; ++c) {
    clients.emplace_back([&, c] {
      HttpTestClient client(server->detail());
      if (!client.connected()) return;
      for (int round = 0; round < 2; ++round) {
        // One request at a time, then two pipelined.
        if (!client.Send(Request("GET", c % 2 ? "/medium.bin" : "/digits.txt"))) return;
        std::optional<HttpReply> r = client.Read();
        if (!r || r->body != (c % 2 ? medium_ : std::string("0123456789"))) return;
        if (!client.Send(Request("GET", "/index.html") + Request("GET", "/medium.bin"))) return;
        std::optional<HttpReply> a = client.Read();
        std::optional<HttpReply> b = client.Read();
        if (!a || a->body != kIndex || !b || b->body != medium_) return;
      }
      ++ok;
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok.load(), 200);
}

TEST_P(HttpModelsTest, CurlReusesOneConnectionForSeveralFiles) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  const std::string out = dir_ + "/curl";
  std::string result =
      RunShell("/usr/bin/curl -sS --max-time 60 -w '%{http_code} %{num_connects}\\n' -o " + out +
               "1 -o " + out + "2 -o " + out + "3 '" + Url(*server, "/big.bin") + "' '" +
               Url(*server, "/digits.txt") + "' '" + Url(*server, "/medium.bin") + "'");
  EXPECT_EQ(result, "200 1\n200 0\n200 0\n");
  EXPECT_TRUE(ReadFile(out + "1") == big_);
  EXPECT_EQ(ReadFile(out + "2"), "0123456789");
  EXPECT_TRUE(ReadFile(out + "3") == medium_);
}

TEST_P(HttpModelsTest, CurlHeadRangeConditionalEchoAndTraversal) {
  auto server = Start();
  ASSERT_TRUE(server->ready());
  const std::string curl = "/usr/bin/curl -sS --max-time 30 ";
  std::string head = RunShell(curl + "-I '" + Url(*server, "/digits.txt") + "'");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_NE(head.find("Content-Length: 10\r\n"), std::string::npos) << head;

  EXPECT_EQ(RunShell(curl + "-r 2-5 '" + Url(*server, "/digits.txt") + "'"), "2345");
  EXPECT_EQ(RunShell(curl + "-o /dev/null -w '%{http_code}' -r 50-60 '" +
                     Url(*server, "/digits.txt") + "'"),
            "416");
  const size_t etag_at = head.find("ETag: ");
  ASSERT_NE(etag_at, std::string::npos);
  const std::string etag = head.substr(etag_at + 6, head.find("\r\n", etag_at) - etag_at - 6);
  EXPECT_EQ(RunShell(curl + "-o /dev/null -w '%{http_code}' -H 'If-None-Match: " + etag + "' '" +
                     Url(*server, "/digits.txt") + "'"),
            "304");
  EXPECT_EQ(RunShell(curl + "--data-binary hello '" + Url(*server, "/echo") + "'"), "hello");
  EXPECT_EQ(RunShell(curl + "--path-as-is -o /dev/null -w '%{http_code}' '" +
                     Url(*server, "/../secret.txt") + "'"),
            "404");
  EXPECT_EQ(RunShell(curl + "-o /dev/null -w '%{http_code}' '" + Url(*server, "/link") + "'"),
            "403");
  EXPECT_EQ(RunShell(curl + "-o /dev/null -w '%{http_code}' -X DELETE '" +
                     Url(*server, "/digits.txt") + "'"),
            "405");
  EXPECT_EQ(RunShell(curl + "--http1.0 '" + Url(*server, "/healthz") + "'"), "ok\n");
}

INSTANTIATE_TEST_SUITE_P(AllModels, HttpModelsTest, ::testing::ValuesIn(AllModels()),
                         [](const ::testing::TestParamInfo<ModelCase>& param) {
                           return param.param.name;
                         });

}  // namespace
}  // namespace corral::testing
