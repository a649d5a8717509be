#include "servers/protocols/file/name_escape.h"

#include "gtest/gtest.h"

namespace corral::protocols::file {
namespace {

TEST(EscapeName, LeavesOrdinaryNamesAlone) {
  EXPECT_EQ(EscapeName("report-2024_v1.txt"), "report-2024_v1.txt");
  EXPECT_EQ(EscapeName("caf\xC3\xA9.txt"), "caf\xC3\xA9.txt");  // UTF-8 stays readable
}

TEST(EscapeName, EscapesWhatCouldBreakFramingOrFields) {
  EXPECT_EQ(EscapeName("a b"), "a%20b");
  EXPECT_EQ(EscapeName("line\nbreak"), "line%0Abreak");
  EXPECT_EQ(EscapeName("cr\r"), "cr%0D");
  EXPECT_EQ(EscapeName("tab\t"), "tab%09");
  EXPECT_EQ(EscapeName("\x1b[31mred"), "%1B[31mred");
  EXPECT_EQ(EscapeName("100%"), "100%25");
  EXPECT_EQ(EscapeName("say \"hi\""), "say%20%22hi%22");
  EXPECT_EQ(EscapeName(std::string("nul\0x", 5)), "nul%00x");
  EXPECT_EQ(EscapeName("\x7f"), "%7F");
}

TEST(EscapeName, OutputHasNoControlCharactersOrSpaces) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  for (char c : EscapeName(every_byte)) {
    unsigned char byte = static_cast<unsigned char>(c);
    EXPECT_GT(byte, 0x20);
    EXPECT_NE(byte, 0x7F);
  }
}

TEST(UnescapeName, InvertsEscapeForEveryByte) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  absl::StatusOr<std::string> round_trip = UnescapeName(EscapeName(every_byte));
  ASSERT_TRUE(round_trip.ok()) << round_trip.status();
  EXPECT_EQ(*round_trip, every_byte);
}

TEST(UnescapeName, AcceptsLowerCaseHexAndUnneededEscapes) {
  EXPECT_EQ(UnescapeName("a%0ab").value(), "a\nb");
  EXPECT_EQ(UnescapeName("%41BC").value(), "ABC");
}

TEST(UnescapeName, RefusesMalformedEscapes) {
  for (const char* text : {"%", "%4", "abc%", "%zz", "%4g", "a%%"}) {
    absl::StatusOr<std::string> result = UnescapeName(text);
    EXPECT_TRUE(absl::IsInvalidArgument(result.status())) << text;
  }
}

TEST(UnescapeName, RefusesRawControlCharactersAndSpaces) {
  EXPECT_TRUE(absl::IsInvalidArgument(UnescapeName("a b").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(UnescapeName("a\tb").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(UnescapeName("a\x7f").status()));
}

}  // namespace
}  // namespace corral::protocols::file
