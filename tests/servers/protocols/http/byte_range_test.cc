#include "servers/protocols/http/byte_range.h"

#include <string>

#include "gtest/gtest.h"

namespace corral::http {
namespace {

// "ignore", "416" or "first+length" for compact comparisons.
std::string Eval(std::string_view value, std::uint64_t size) {
  RangeDecision d = EvaluateRange(value, size);
  switch (d.kind) {
    case RangeDecision::Kind::kIgnore:
      return "ignore";
    case RangeDecision::Kind::kUnsatisfiable:
      return "416";
    case RangeDecision::Kind::kPartial:
      return std::to_string(d.first) + "+" + std::to_string(d.length);
  }
  return "?";
}

TEST(ByteRangeTest, SingleRangesOfAllThreeShapes) {
  EXPECT_EQ(Eval("bytes=0-499", 10000), "0+500");
  EXPECT_EQ(Eval("bytes=500-999", 10000), "500+500");
  EXPECT_EQ(Eval("bytes=9500-", 10000), "9500+500");
  EXPECT_EQ(Eval("bytes=-500", 10000), "9500+500");
  EXPECT_EQ(Eval("bytes=0-0", 10000), "0+1");
  EXPECT_EQ(Eval("bytes=9999-9999", 10000), "9999+1");
  EXPECT_EQ(Eval("Bytes = 1-2 ", 10), "1+2");  // unit is case-insensitive, OWS tolerated
}

TEST(ByteRangeTest, ClampsToTheRepresentation) {
  EXPECT_EQ(Eval("bytes=5-100", 10), "5+5");
  EXPECT_EQ(Eval("bytes=-100", 10), "0+10");
  EXPECT_EQ(Eval("bytes=0-99999999999999999999999", 10), "0+10");
  EXPECT_EQ(Eval("bytes=-99999999999999999999999", 10), "0+10");
}

TEST(ByteRangeTest, UnsatisfiableRanges) {
  EXPECT_EQ(Eval("bytes=10-", 10), "416");
  EXPECT_EQ(Eval("bytes=10-20", 10), "416");
  EXPECT_EQ(Eval("bytes=-0", 10), "416");
  EXPECT_EQ(Eval("bytes=0-", 0), "416");
  EXPECT_EQ(Eval("bytes=-5", 0), "416");
  EXPECT_EQ(Eval("bytes=99999999999999999999999-", 10), "416");
}

TEST(ByteRangeTest, InvalidOrMultipleRangesAreIgnored) {
  EXPECT_EQ(Eval("bytes=5-1", 10), "ignore");
  EXPECT_EQ(Eval("bytes=0-1,5-6", 10), "ignore");
  EXPECT_EQ(Eval("bytes=0-1, -2", 10), "ignore");
  EXPECT_EQ(Eval("items=0-1", 10), "ignore");
  EXPECT_EQ(Eval("bytes 0-1", 10), "ignore");
  EXPECT_EQ(Eval("bytes=", 10), "ignore");
  EXPECT_EQ(Eval("bytes=-", 10), "ignore");
  EXPECT_EQ(Eval("bytes=a-b", 10), "ignore");
  EXPECT_EQ(Eval("bytes=1-2x", 10), "ignore");
  EXPECT_EQ(Eval("bytes=--1", 10), "ignore");
  EXPECT_EQ(Eval("bytes=+1-2", 10), "ignore");
  EXPECT_EQ(Eval("", 10), "ignore");
}

}  // namespace
}  // namespace corral::http
