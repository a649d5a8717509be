#include "ctl/server_format.h"

#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "ctl/exit_codes.h"

namespace corral::ctl {
namespace {

v1::Server RunningEcho(absl::Time started) {
  v1::Server s;
  s.mutable_spec()->set_name("echo");
  s.mutable_spec()->set_protocol(v1::PROTOCOL_TCP_ECHO);
  s.mutable_spec()->set_model(v1::MODEL_THREAD);
  s.mutable_spec()->set_listen("127.0.0.1:0");
  s.set_state(v1::STATE_RUNNING);
  s.set_pid(4242);
  s.set_bound_address("127.0.0.1:40001");
  s.mutable_start_time()->set_seconds(absl::ToUnixSeconds(started));
  s.set_restarts(2);
  s.mutable_last_exit()->set_signal(9);
  return s;
}

TEST(ServerFormatTest, Labels) {
  EXPECT_EQ(ProtocolLabel(v1::PROTOCOL_TCP_ECHO), "tcp-echo");
  EXPECT_EQ(ProtocolLabel(v1::PROTOCOL_UDP_ECHO), "udp-echo");
  EXPECT_EQ(ModelLabel(v1::MODEL_COROUTINE), "coroutine");
  EXPECT_EQ(StateLabel(v1::STATE_BACKOFF), "BACKOFF");
}

TEST(ServerFormatTest, ShortDurations) {
  EXPECT_EQ(ShortDuration(absl::Seconds(45)), "45s");
  EXPECT_EQ(ShortDuration(absl::Seconds(192)), "3m12s");
  EXPECT_EQ(ShortDuration(absl::Hours(2) + absl::Minutes(5)), "2h05m");
  EXPECT_EQ(ShortDuration(absl::Hours(76)), "3d04h");
  EXPECT_EQ(ShortDuration(absl::ZeroDuration()), "-");
}

TEST(ServerFormatTest, TableIsAlignedAndShowsTheFacts) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  v1::Server failed;
  failed.mutable_spec()->set_name("web-long-name");
  failed.mutable_spec()->set_protocol(v1::PROTOCOL_TCP_ECHO);
  failed.mutable_spec()->set_model(v1::MODEL_THREAD);
  failed.mutable_spec()->set_listen("127.0.0.1:8080");
  failed.set_state(v1::STATE_FAILED);
  failed.set_reason("bind 127.0.0.1:8080: address already in use");
  std::string table = FormatServerTable({RunningEcho(now - absl::Seconds(192)), failed}, now);
  std::vector<std::string> lines = absl::StrSplit(table, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  // Every column starts at the same offset on every line.
  size_t state_col = lines[0].find("STATE");
  EXPECT_EQ(lines[1].find("RUNNING"), state_col);
  EXPECT_EQ(lines[2].find("FAILED"), state_col);
  size_t address_col = lines[0].find("ADDRESS");
  EXPECT_EQ(lines[1].find("127.0.0.1:40001"), address_col);
  EXPECT_NE(lines[1].find("3m12s"), std::string::npos);
  EXPECT_NE(lines[1].find("signal 9 (SIGKILL)"), std::string::npos);
  EXPECT_NE(lines[2].find("address already in use"), std::string::npos);
}

TEST(ServerFormatTest, DetailListsFields) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  std::string detail = FormatServerDetail(RunningEcho(now - absl::Seconds(5)), now);
  EXPECT_NE(detail.find("name:          echo"), std::string::npos) << detail;
  EXPECT_NE(detail.find("bound address: 127.0.0.1:40001"), std::string::npos);
  EXPECT_NE(detail.find("uptime:        5s"), std::string::npos);
  EXPECT_NE(detail.find("restarts:      2"), std::string::npos);
}

TEST(ExitCodesTest, DistinctCodesPerKindOfRefusal) {
  EXPECT_EQ(ExitCodeFor(grpc::Status::OK), kExitOk);
  EXPECT_EQ(ExitCodeFor(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "")), kExitUsage);
  EXPECT_EQ(ExitCodeFor(grpc::Status(grpc::StatusCode::NOT_FOUND, "")), kExitNotFound);
  EXPECT_EQ(ExitCodeFor(grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "")), kExitConflict);
  EXPECT_EQ(ExitCodeFor(grpc::Status(grpc::StatusCode::UNAVAILABLE, "")), kExitUnreachable);
  EXPECT_EQ(ExitCodeFor(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "")), kExitPermission);
  EXPECT_EQ(ExitCodeFor(grpc::Status(grpc::StatusCode::INTERNAL, "")), kExitFailed);
}

}  // namespace
}  // namespace corral::ctl
