#include "ctl/contexts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace corral::ctl {
namespace {

using ::testing::HasSubstr;

TEST(ContextsTest, ReadsAgentsResolvingPathsAgainstTheFile) {
  absl::StatusOr<Contexts> contexts = ParseContexts(
      "current: prod\n"
      "agents:\n"
      "  local:\n"
      "    address: /run/corral/agent.sock\n"
      "  prod:\n"
      "    address: 10.0.0.1:7443\n"
      "    ca: ca.pem\n"
      "    token_file: /etc/corral/prod.token\n"
      "    cert: certs/me.pem\n"
      "    key: certs/me.key\n",
      "/home/u/.config/corral/config.yaml");
  ASSERT_TRUE(contexts.ok()) << contexts.status();
  EXPECT_EQ(contexts->current, "prod");
  ASSERT_EQ(contexts->agents.size(), 2u);
  EXPECT_EQ(contexts->agents[0].address, "unix:/run/corral/agent.sock");
  absl::StatusOr<AgentContext> prod = contexts->Find("prod");
  ASSERT_TRUE(prod.ok());
  EXPECT_EQ(prod->address, "10.0.0.1:7443");
  EXPECT_EQ(prod->credentials.tls_ca, "/home/u/.config/corral/ca.pem");
  EXPECT_EQ(prod->credentials.token_file, "/etc/corral/prod.token");
  EXPECT_EQ(prod->credentials.tls_cert, "/home/u/.config/corral/certs/me.pem");
  EXPECT_EQ(prod->credentials.tls_key, "/home/u/.config/corral/certs/me.key");
  EXPECT_THAT(std::string(contexts->Find("nope").status().message()),
              HasSubstr("it has local, prod"));
}

TEST(ContextsTest, RefusesMistakesWithFileAndLine) {
  auto error = [](const std::string& text) {
    absl::StatusOr<Contexts> contexts = ParseContexts(text, "c.yaml");
    EXPECT_FALSE(contexts.ok());
    return std::string(contexts.status().message());
  };
  EXPECT_THAT(error("agents:\n  a:\n    adress: x:1\n"),
              HasSubstr("c.yaml:3: agent \"a\": unknown key \"adress\""));
  EXPECT_THAT(error("agents:\n  a:\n    ca: x\n"), HasSubstr("agent \"a\" has no address"));
  EXPECT_THAT(error("current: b\nagents:\n  a: {address: x:1}\n"),
              HasSubstr("current: no context \"b\""));
  EXPECT_THAT(error("agents: [\n"), HasSubstr("c.yaml:"));
}

TEST(ContextsTest, AMissingFileIsNoContexts) {
  absl::StatusOr<Contexts> contexts = LoadContexts("/nonexistent/corral/config.yaml");
  ASSERT_TRUE(contexts.ok());
  EXPECT_TRUE(contexts->agents.empty());
}

}  // namespace
}  // namespace corral::ctl
