// The http protocol through real corral-server processes, under every model configuration:
// what is served (files, validators, errors, ranges, traversal), checked byte for byte by a
// raw-socket client and by curl. Connection behaviour is in http_models_connection_test.cc.
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/servers/protocols/http/http_models_fixture.h"
#include "tests/support/wait_for.h"

namespace corral::testing {
namespace {

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
                         ModelCaseName);

// What a user sees of the small-file cache, through real servers; the model does not matter
// here (file_cache_test.cc steps through the window itself with a fake clock). A long window
// keeps serving the cached bytes after a change, which proves the file was cached and the flag
// reached the cache; a zero window serves the change at once.
class FileCacheWindowTest : public HttpModelsTest {};

TEST_P(FileCacheWindowTest, ALongWindowServesTheCachedBytesAndZeroServesTheChange) {
  WriteFile(root_ + "/page.txt", "version 1\n");
  // Only a file whose times are 2 s in the past (in whole seconds) is cached, and a file's
  // ctime cannot be set back: the test has to let it age.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::unique_ptr<ServerProcess> windowed = Start({"--file-cache-valid-ms", "600000"});
  std::unique_ptr<ServerProcess> checked = Start({"--file-cache-valid-ms", "0"});
  auto body = [](const ServerProcess& server) {
    std::optional<HttpReply> reply = FetchOnce(server.detail(), Request("GET", "/page.txt"));
    return reply.has_value() ? reply->body : "(no reply)";
  };
  for (const ServerProcess* server : {windowed.get(), checked.get()}) {
    EXPECT_EQ(body(*server), "version 1\n");  // read, then cached
    EXPECT_EQ(body(*server), "version 1\n");  // from memory
  }
  WriteFile(root_ + "/page.txt", "version 2\n");  // same size; new mtime and ctime
  EXPECT_EQ(body(*checked), "version 2\n");
  EXPECT_EQ(body(*windowed), "version 1\n");
}

// Issue 19: what a client can make a server hold or say by spelling paths oddly. One model
// suffices: the path handling and the cache are the protocol's, shared by every model.
class PathSpellingTest : public HttpModelsTest {
 protected:
  // The server's resident set, from /proc (kB).
  static long RssKb(pid_t pid) {
    const std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status");
    const std::size_t at = status.find("VmRSS:");
    return at == std::string::npos ? -1 : std::atol(status.c_str() + at + 6);
  }
};

// One keep-alive connection pipelines GETs of an empty file spelled with 100,000 different
// slash runs. Each spelling was its own cache entry (keys and entries cost nothing against the
// byte cap, an empty file nothing at all): 21k of them took a thread server from 5 to 108 MB.
TEST_P(PathSpellingTest, ManySpellingsOfOneFileDoNotGrowTheServer) {
  ASSERT_EQ(::mkdir((root_ + "/d").c_str(), 0755), 0);
  WriteFile(root_ + "/d/empty.txt", "");
  // Only a file whose times are 2 s in the past (in whole seconds) is cached.
  struct stat st;
  ASSERT_EQ(::stat((root_ + "/d/empty.txt").c_str(), &st), 0);
  ASSERT_TRUE(WaitFor([&] { return std::time(nullptr) >= st.st_ctim.tv_sec + 3; }));
  std::unique_ptr<ServerProcess> server = Start();
  ASSERT_TRUE(server->ready());
  HttpTestClient client(server->detail());
  ASSERT_TRUE(client.connected());
  constexpr int kSpellings = 100000;
  constexpr int kBatch = 500;
  long rss_before = -1;
  for (int first = 0; first < kSpellings; first += kBatch) {
    std::string batch;
    for (int i = first; i < first + kBatch; ++i) {
      const std::string path =
          std::string(1 + i % 500, '/') + "d" + std::string(1 + i / 500, '/') + "empty.txt";
      batch += Request("GET", path);
    }
    ASSERT_TRUE(client.Send(batch));
    for (int i = first; i < first + kBatch; ++i) {
      std::optional<HttpReply> reply = client.Read();
      ASSERT_TRUE(reply) << "request " << i;
      ASSERT_EQ(reply->status, 200) << "request " << i;
    }
    if (first == 0) rss_before = RssKb(server->pid());  // after the connection's buffers exist
  }
  const long rss_after = RssKb(server->pid());
  ASSERT_GT(rss_before, 0);
  RecordProperty("rss_before_kb", std::to_string(rss_before));
  RecordProperty("rss_after_kb", std::to_string(rss_after));
  EXPECT_LT(rss_after - rss_before, 16 * 1024)
      << "RSS grew from " << rss_before << " kB to " << rss_after << " kB";
}

// The trailing-slash redirect as a browser would meet it: never to another host.
TEST_P(PathSpellingTest, DirectoryRedirectsStayOnTheServer) {
  std::unique_ptr<ServerProcess> server = Start();
  ASSERT_TRUE(server->ready());
  for (const char* target : {"//evil.example/../sub", "/\\evil.example/../sub",
                             "/%5Cevil.example/%2E%2E/sub", "//sub"}) {
    std::optional<HttpReply> reply = FetchOnce(server->detail(), Request("GET", target));
    ASSERT_TRUE(reply) << target;
    EXPECT_EQ(reply->status, 301) << target;
    EXPECT_EQ(reply->Header("Location"), "/sub/") << target;
  }
}

INSTANTIATE_TEST_SUITE_P(ThreadModel, PathSpellingTest,
                         ::testing::Values(ModelCase{"thread", {"--model", "thread"}}),
                         ModelCaseName);

INSTANTIATE_TEST_SUITE_P(ThreadModel, FileCacheWindowTest,
                         ::testing::Values(ModelCase{"thread", {"--model", "thread"}}),
                         ModelCaseName);

}  // namespace
}  // namespace corral::testing
