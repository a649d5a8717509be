#include "ctl/rpc/agent_methods.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <string>

namespace corral::ctl::rpc {
namespace {

// "/corral.v1.Agent/List" names corral.v1.Agent.List, taking and returning the method's types.
template <typename Method>
void ExpectMatchesProto(const Method& method) {
  std::string path = method.path;
  ASSERT_EQ(path.front(), '/');
  const size_t slash = path.rfind('/');
  const std::string full_name = path.substr(1, slash - 1) + "." + path.substr(slash + 1);
  const google::protobuf::MethodDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full_name);
  ASSERT_NE(descriptor, nullptr) << path << " is not an rpc of proto/corral/v1";
  EXPECT_EQ(descriptor->input_type(), Method::Request::descriptor()) << path;
  EXPECT_EQ(descriptor->output_type(), Method::Response::descriptor()) << path;
  const bool streaming =
      std::is_same_v<Method, StreamingMethod<typename Method::Request, typename Method::Response>>;
  EXPECT_EQ(descriptor->server_streaming(), streaming) << path;
  EXPECT_FALSE(descriptor->client_streaming()) << path;
}

TEST(AgentMethods, EveryPathAndTypeMatchesTheProto) {
  ExpectMatchesProto(kStart);
  ExpectMatchesProto(kStop);
  ExpectMatchesProto(kRestart);
  ExpectMatchesProto(kRemove);
  ExpectMatchesProto(kList);
  ExpectMatchesProto(kGet);
  ExpectMatchesProto(kWatchEvents);
  ExpectMatchesProto(kTailLogs);
  ExpectMatchesProto(kGetStats);
  ExpectMatchesProto(kWatchStats);
}

}  // namespace
}  // namespace corral::ctl::rpc
