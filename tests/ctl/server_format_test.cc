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

TEST(ServerFormatTest, TableShowsFailuresAndTheNextRestart) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  v1::Server backoff = RunningEcho(now);
  backoff.set_state(v1::STATE_BACKOFF);
  backoff.set_pid(0);
  backoff.set_consecutive_failures(3);
  backoff.mutable_next_start_time()->set_seconds(absl::ToUnixSeconds(now) + 12);
  backoff.set_reason("died: killed by signal 9 (SIGKILL)");
  v1::Server fatal = backoff;
  fatal.mutable_spec()->set_name("gone");
  fatal.set_state(v1::STATE_FATAL);
  fatal.clear_next_start_time();
  fatal.set_consecutive_failures(5);
  std::string table = FormatServerTable({backoff, fatal}, now);
  std::vector<std::string> lines = absl::StrSplit(table, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  size_t fails_col = lines[0].find("FAILS");
  size_t next_col = lines[0].find("NEXT");
  ASSERT_NE(fails_col, std::string::npos);
  EXPECT_EQ(lines[1].find("3", fails_col), fails_col);
  EXPECT_EQ(lines[1].find("in 12s"), next_col);
  EXPECT_EQ(lines[2].find("FATAL"), lines[0].find("STATE"));
  EXPECT_EQ(lines[2].find("5", fails_col), fails_col);
  EXPECT_EQ(lines[2].find("-", next_col), next_col);
}

TEST(ServerFormatTest, NextStartUnderASecondHasTenths) {
  absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  v1::Server s;
  s.mutable_next_start_time()->set_seconds(absl::ToUnixSeconds(now));
  s.mutable_next_start_time()->set_nanos(250'000'000);
  EXPECT_EQ(NextStartLabel(s, now), "in 0.2s");
  EXPECT_EQ(NextStartLabel(v1::Server(), now), "-");
}

TEST(ServerFormatTest, EventsAreOneLineEach) {
  v1::Event event;
  event.set_kind(v1::Event::EXITED);
  event.set_name("echo");
  event.mutable_time()->set_seconds(1'790'000'000);
  event.mutable_time()->set_nanos(5'000'000);
  event.set_pid(4242);
  event.mutable_exit()->set_signal(9);
  EXPECT_EQ(FormatEvent(event),
            "2026-09-21T14:13:20.005Z  echo  EXITED  pid 4242  signal 9 (SIGKILL)");
  v1::Event adopted_exit = event;
  adopted_exit.mutable_exit()->set_unknown(true);
  adopted_exit.set_dropped_before(3);
  EXPECT_EQ(FormatEvent(adopted_exit),
            "2026-09-21T14:13:20.005Z  echo  EXITED  pid 4242  unknown (adopted)  (3 earlier "
            "events dropped: reading too slowly)");
}

TEST(ServerFormatTest, PolicyLabels) {
  EXPECT_EQ(PolicyLabel(v1::RESTART_ON_FAILURE), "on-failure");
  EXPECT_EQ(PolicyLabel(v1::RESTART_POLICY_UNSPECIFIED), "always");
  EXPECT_EQ(StateLabel(v1::STATE_FATAL), "FATAL");
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
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), kExitOk);
  EXPECT_EQ(ExitCodeFor(absl::Status(absl::StatusCode::kInvalidArgument, "x")), kExitUsage);
  EXPECT_EQ(ExitCodeFor(absl::Status(absl::StatusCode::kNotFound, "x")), kExitNotFound);
  EXPECT_EQ(ExitCodeFor(absl::Status(absl::StatusCode::kAlreadyExists, "x")), kExitConflict);
  EXPECT_EQ(ExitCodeFor(absl::Status(absl::StatusCode::kUnavailable, "x")), kExitUnreachable);
  EXPECT_EQ(ExitCodeFor(absl::Status(absl::StatusCode::kPermissionDenied, "x")), kExitPermission);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("x")), kExitFailed);
}

}  // namespace
}  // namespace corral::ctl
