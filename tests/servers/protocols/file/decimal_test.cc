#include "servers/protocols/file/decimal.h"

#include "gtest/gtest.h"

namespace corral::protocols::file {
namespace {

TEST(ParseDecimal, AcceptsPlainDigits) {
  EXPECT_EQ(ParseDecimal("0"), 0u);
  EXPECT_EQ(ParseDecimal("42"), 42u);
  EXPECT_EQ(ParseDecimal("18446744073709551615"), UINT64_MAX);
}

TEST(ParseDecimal, RefusesAnythingElse) {
  for (const char* text : {"", "-1", "+1", " 1", "1 ", "12abc", "0x10", "18446744073709551616",
                           "999999999999999999999"}) {
    EXPECT_EQ(ParseDecimal(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace corral::protocols::file
