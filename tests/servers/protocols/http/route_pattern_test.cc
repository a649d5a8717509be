#include "servers/protocols/http/route_pattern.h"

#include "gtest/gtest.h"

namespace corral::http {
namespace {

using Kind = PatternSegment::Kind;

TEST(RoutePatternTest, ParsesLiteralsParamsAndRest) {
  absl::StatusOr<RoutePattern> pattern = ParseRoutePattern("/users/{id}/files/{path...}");
  ASSERT_TRUE(pattern.ok()) << pattern.status();
  std::vector<PatternSegment> expected = {{Kind::kLiteral, "users"},
                                          {Kind::kParam, "id"},
                                          {Kind::kLiteral, "files"},
                                          {Kind::kRest, "path"}};
  EXPECT_EQ(pattern->segments, expected);
  EXPECT_EQ(pattern->ParamNames(), (std::vector<std::string>{"id", "path"}));
}

TEST(RoutePatternTest, RootAndTrailingSlashEndInAnEmptyLiteral) {
  absl::StatusOr<RoutePattern> root = ParseRoutePattern("/");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->segments, (std::vector<PatternSegment>{{Kind::kLiteral, ""}}));
  absl::StatusOr<RoutePattern> docs = ParseRoutePattern("/docs/");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_EQ(docs->segments,
            (std::vector<PatternSegment>{{Kind::kLiteral, "docs"}, {Kind::kLiteral, ""}}));
}

TEST(RoutePatternTest, RefusesBadPatternsSayingWhy) {
  struct Case {
    const char* pattern;
    const char* reason;
  };
  const Case cases[] = {
      {"", "starts with '/'"},
      {"users", "starts with '/'"},
      {"/a//b", "empty segment"},
      {"/a/{id", "whole segment"},
      {"/a/x{id}", "whole segment"},
      {"/a/{id}x", "whole segment"},
      {"/{rest...}/a", "must be the last segment"},
      {"/{}", "parameter name"},
      {"/{1x}", "parameter name"},
      {"/{a-b}", "parameter name"},
      {"/{...}", "parameter name"},
      {"/{id}/{id}", "named twice"},
      {"/a%20b", "decoded path"},
      {"/a/../b", "dot segments"},
      {"/a/./b", "dot segments"},
      {"/a\tb", "control character"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<RoutePattern> pattern = ParseRoutePattern(c.pattern);
    ASSERT_FALSE(pattern.ok()) << c.pattern;
    EXPECT_EQ(pattern.status().code(), absl::StatusCode::kInvalidArgument) << c.pattern;
    EXPECT_NE(std::string(pattern.status().message()).find(c.reason), std::string::npos)
        << c.pattern << ": " << pattern.status();
  }
}

TEST(RoutePatternTest, RefusesMoreThanSixteenParameters) {
  std::string pattern;
  for (int i = 0; i < 16; ++i) pattern += "/{p" + std::to_string(i) + "}";
  EXPECT_TRUE(ParseRoutePattern(pattern).ok());
  EXPECT_FALSE(ParseRoutePattern(pattern + "/{p16}").ok());
}

}  // namespace
}  // namespace corral::http
