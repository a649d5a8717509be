#include "servers/protocols/http/char_classes.h"

#include <string_view>

#include "gtest/gtest.h"

namespace corral::http {
namespace {

bool IsAlnum(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The tables must hold exactly the RFC sets, for every byte value including obs-text.
TEST(CharClassesTest, TokenCharsAreTchar) {
  constexpr std::string_view kPunctuation = "!#$%&'*+-.^_`|~";
  for (int c = 0; c < 256; ++c) {
    bool expected = IsAlnum(c) || kPunctuation.find(static_cast<char>(c)) != std::string_view::npos;
    EXPECT_EQ(IsTokenChar(static_cast<unsigned char>(c)), expected) << c;
  }
  EXPECT_TRUE(IsToken("Content-Type"));
  EXPECT_FALSE(IsToken("Bad Name"));
  EXPECT_FALSE(IsToken("a:b"));
  EXPECT_FALSE(IsToken(""));
}

TEST(CharClassesTest, HostCharsAreRegNameAndIpLiteral) {
  constexpr std::string_view kPunctuation = "-._~%!$&'()*+,;=:[]";
  for (int c = 0; c < 256; ++c) {
    bool expected = IsAlnum(c) || kPunctuation.find(static_cast<char>(c)) != std::string_view::npos;
    EXPECT_EQ(IsHostChar(static_cast<unsigned char>(c)), expected) << c;
  }
  for (char c : std::string_view("/?#@ \t"))
    EXPECT_FALSE(IsHostChar(static_cast<unsigned char>(c)));
}

}  // namespace
}  // namespace corral::http
