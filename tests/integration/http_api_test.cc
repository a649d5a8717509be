// examples/handlers/http_api through the agent, as a user runs it: corralctl start with
// --protocol http --handler, under fork, thread and coroutine, then real HTTP requests to its
// routes and its static files.
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/integration/agent_fixture.h"
#include "tests/servers/protocols/http/http_test_client.h"

namespace corral::testing {
namespace {

class HttpApiTest : public AgentTest, public ::testing::WithParamInterface<std::string> {
 protected:
  // Starts the example under the model of the test; returns its address ("" on failure).
  std::string StartApi() {
    std::ofstream(home_ + "/index.html") << "static page\n";
    CommandResult start =
        Ctl({"start", "api", "--protocol", "http", "--model", GetParam(), "--root", home_,
             "--listen", "127.0.0.1:0", "--handler", CORRAL_HANDLER_DIR "/http_api.so"});
    EXPECT_EQ(start.exit_code, 0) << start.err;
    absl::StatusOr<v1::Server> api = Get("api");
    EXPECT_TRUE(api.ok()) << api.status();
    return api.ok() ? api->bound_address() : "";
  }
};

TEST_P(HttpApiTest, CounterEchoAndStaticFilesFromOneServer) {
  const std::string address = StartApi();
  ASSERT_FALSE(address.empty());

  // One keep-alive connection: the same process under every model, so it sees its own POSTs.
  HttpTestClient client(address);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(Request("GET", "/api/counter") + Request("POST", "/api/counter") +
                          Request("POST", "/api/counter") + Request("GET", "/api/counter")));
  for (const char* expected :
       {"{\"count\":0}\n", "{\"count\":1}\n", "{\"count\":2}\n", "{\"count\":2}\n"}) {
    std::optional<HttpReply> reply = client.Read();
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->Header("Content-Type"), "application/json");
    EXPECT_EQ(reply->body, expected);
  }

  // A new connection: thread and coroutine share one counter per server; under fork per
  // connection the child starts from the parent's copy (the example's header says so).
  std::optional<HttpReply> later =
      FetchOnce(address, Request("GET", "/api/counter", "Connection: close\r\n"));
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->body, GetParam() == "fork" ? "{\"count\":0}\n" : "{\"count\":2}\n");

  std::optional<HttpReply> echo = FetchOnce(
      address,
      Request("GET", "/api/echo?a=1&b=x+y&a=2&q=%22%5C%01&bad=%FF", "Connection: close\r\n"));
  ASSERT_TRUE(echo.has_value());
  EXPECT_EQ(echo->body,
            "{\"a\":[\"1\",\"2\"],\"b\":\"x y\",\"q\":\"\\\"\\\\\\u0001\",\"bad\":\"\\ufffd\"}\n");

  EXPECT_EQ(HttpGetBody(address, "/index.html"), "static page\n");
  EXPECT_EQ(HttpGetBody(address, "/healthz"), "ok\n");
  std::optional<HttpReply> wrong =
      FetchOnce(address, Request("DELETE", "/api/counter", "Connection: close\r\n"));
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->Header("Allow"), "GET, HEAD, POST");
}

INSTANTIATE_TEST_SUITE_P(Models, HttpApiTest, ::testing::Values("fork", "thread", "coroutine"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace corral::testing
