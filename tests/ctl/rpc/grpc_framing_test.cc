#include "ctl/rpc/grpc_framing.h"

#include <gtest/gtest.h>

#include <string>

#include "corral/v1/agent.pb.h"

namespace corral::ctl::rpc {
namespace {

v1::LogLines Lines(int count, size_t width) {
  v1::LogLines lines;
  for (int i = 0; i < count; ++i)
    lines.add_lines(std::string(width, static_cast<char>('a' + i % 26)));
  return lines;
}

TEST(FrameMessage, PrefixesFlagAndBigEndianLength) {
  v1::LogLines lines = Lines(1, 300);
  const std::string framed = FrameMessage(lines);
  const size_t size = lines.ByteSizeLong();
  ASSERT_EQ(framed.size(), 5 + size);
  EXPECT_EQ(framed[0], 0);
  EXPECT_EQ(static_cast<unsigned char>(framed[3]), size >> 8);
  EXPECT_EQ(static_cast<unsigned char>(framed[4]), size & 0xff);
  v1::LogLines parsed;
  ASSERT_TRUE(parsed.ParseFromString(framed.substr(5)));
  EXPECT_EQ(parsed.lines(0), lines.lines(0));
}

TEST(MessageAssembler, ReassemblesMessagesSplitAtEveryByte) {
  const std::string stream =
      FrameMessage(Lines(3, 10)) + FrameMessage(v1::LogLines()) + FrameMessage(Lines(1, 70000));
  MessageAssembler assembler(1 << 20);
  std::vector<std::string> messages;
  std::string out;
  for (char byte : stream) {
    assembler.Append(std::string_view(&byte, 1));
    for (;;) {
      absl::StatusOr<bool> next = assembler.Next(&out);
      ASSERT_TRUE(next.ok()) << next.status();
      if (!*next) break;
      messages.push_back(out);
    }
  }
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_TRUE(assembler.empty());
  v1::LogLines first, empty, big;
  ASSERT_TRUE(first.ParseFromString(messages[0]));
  EXPECT_EQ(first.lines_size(), 3);
  EXPECT_TRUE(messages[1].empty());
  ASSERT_TRUE(big.ParseFromString(messages[2]));
  EXPECT_EQ(big.lines(0).size(), 70000u);
}

TEST(MessageAssembler, KeepsAPartialMessagePending) {
  const std::string framed = FrameMessage(Lines(2, 5));
  MessageAssembler assembler(1 << 20);
  assembler.Append(framed.substr(0, framed.size() - 1));
  std::string out;
  EXPECT_FALSE(*assembler.Next(&out));
  EXPECT_FALSE(assembler.empty());
  assembler.Append(framed.substr(framed.size() - 1));
  EXPECT_TRUE(*assembler.Next(&out));
  EXPECT_TRUE(assembler.empty());
}

TEST(MessageAssembler, RefusesCompressedAndOversizedMessages) {
  std::string compressed = FrameMessage(Lines(1, 4));
  compressed[0] = 1;
  MessageAssembler a(1 << 20);
  a.Append(compressed);
  std::string out;
  EXPECT_EQ(a.Next(&out).status().code(), absl::StatusCode::kInternal);

  MessageAssembler b(100);
  b.Append(FrameMessage(Lines(1, 200)).substr(0, 5));  // the prefix alone is enough to refuse
  absl::StatusOr<bool> next = b.Next(&out);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(next.status().message().find("limit is 100"), std::string::npos);
}

TEST(TimeoutHeader, UsesTheFinestUnitWithinEightDigitsRoundingUp) {
  EXPECT_EQ(TimeoutHeader(absl::ZeroDuration()), "0n");
  EXPECT_EQ(TimeoutHeader(absl::Seconds(-3)), "0n");
  EXPECT_EQ(TimeoutHeader(absl::Nanoseconds(1500)), "1500n");
  EXPECT_EQ(TimeoutHeader(absl::Milliseconds(50)), "50000000n");
  EXPECT_EQ(TimeoutHeader(absl::Milliseconds(100)), "100000u");
  EXPECT_EQ(TimeoutHeader(absl::Seconds(60)), "60000000u");
  EXPECT_EQ(TimeoutHeader(absl::Seconds(60) + absl::Nanoseconds(1)), "60000001u");
  EXPECT_EQ(TimeoutHeader(absl::Seconds(200)), "200000m");
  EXPECT_EQ(TimeoutHeader(absl::Hours(24 * 365)), "31536000S");
  const std::string forever = TimeoutHeader(absl::InfiniteDuration());
  EXPECT_EQ(forever.back(), 'H');
  EXPECT_LE(forever.size(), 9u);
}

TEST(CallStatus, TakesGrpcStatusAndDecodesItsMessage) {
  EXPECT_TRUE(CallStatus(200, 0, "").ok());
  absl::Status status = CallStatus(200, 5, "no server %22web%22%3A caf%C3%A9 100%");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no server \"web\": caf\xC3\xA9 100%");
  EXPECT_EQ(CallStatus(200, 99, "odd").code(), absl::StatusCode::kUnknown);
}

TEST(CallStatus, MapsHttpStatusWhenGrpcStatusIsMissing) {
  EXPECT_EQ(CallStatus(404, std::nullopt, "").code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(CallStatus(503, std::nullopt, "").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(CallStatus(403, std::nullopt, "").code(), absl::StatusCode::kPermissionDenied);
  absl::Status teapot = CallStatus(418, std::nullopt, "");
  EXPECT_EQ(teapot.code(), absl::StatusCode::kUnknown);
  EXPECT_NE(teapot.message().find("HTTP 418"), std::string::npos);
  EXPECT_EQ(CallStatus(200, std::nullopt, "").code(), absl::StatusCode::kUnknown);
}

TEST(StatusForReset, FollowsGrpcsMappingOfHttp2Codes) {
  EXPECT_EQ(StatusForReset(0x7).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusForReset(0x8).code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(StatusForReset(0xb).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(StatusForReset(0x2).code(), absl::StatusCode::kInternal);
}

TEST(PercentDecode, LeavesMalformedEscapesAlone) {
  EXPECT_EQ(PercentDecode("a%2"), "a%2");
  EXPECT_EQ(PercentDecode("%zz%41"), "%zzA");
  EXPECT_EQ(PercentDecode("%"), "%");
  EXPECT_EQ(PercentDecode(""), "");
}

}  // namespace
}  // namespace corral::ctl::rpc
