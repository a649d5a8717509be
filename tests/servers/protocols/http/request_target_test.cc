#include "servers/protocols/http/request_target.h"

#include <string>

#include "gtest/gtest.h"

namespace corral::http {
namespace {

// The decoded path of `target`, or "error" when ParseTarget rejects it.
std::string PathOf(std::string_view target) {
  ParsedTarget parsed;
  absl::Status status = ParseTarget(target, &parsed);
  if (!status.ok()) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << target;
    return "error";
  }
  return parsed.path;
}

TEST(ParseTargetTest, SplitsTheQueryAndKeepsItRaw) {
  ParsedTarget parsed;
  EXPECT_FALSE(ParseTarget("/search/a%20b?q=a%20b&x=%2F#", &parsed).ok());
  ASSERT_TRUE(ParseTarget("/search/a%20b?q=a%20b&x=%2F", &parsed).ok());
  EXPECT_EQ(parsed.form, TargetForm::kOrigin);
  EXPECT_EQ(parsed.path, "/search/a b");
  EXPECT_EQ(parsed.query, "q=a%20b&x=%2F");  // an encoded slash is fine in the query
  ASSERT_TRUE(ParseTarget("/?", &parsed).ok());
  EXPECT_EQ(parsed.path, "/");
  EXPECT_EQ(parsed.query, "");
  ASSERT_TRUE(ParseTarget("/a?b?c", &parsed).ok());
  EXPECT_EQ(parsed.path, "/a");
  EXPECT_EQ(parsed.query, "b?c");
}

TEST(ParseTargetTest, DecodesOnce) {
  EXPECT_EQ(PathOf("/caf%C3%A9.html"), "/caf\xc3\xa9.html");
  EXPECT_EQ(PathOf("/a%2bb+c"), "/a+b+c");  // '+' is not a space in a path
  EXPECT_EQ(PathOf("/100%25"), "/100%");
  // Double encoding stays encoded: "%252e%252e" is the literal name "%2e%2e", not "..".
  EXPECT_EQ(PathOf("/%252e%252e/secret"), "/%2e%2e/secret");
  EXPECT_EQ(PathOf("/a/%252F/b"), "/a/%2F/b");
}

TEST(ParseTargetTest, RejectsBadEscapesControlsAndEncodedSlashes) {
  EXPECT_EQ(PathOf("/%"), "error");
  EXPECT_EQ(PathOf("/%4"), "error");
  EXPECT_EQ(PathOf("/%g0"), "error");
  EXPECT_EQ(PathOf("/%0g"), "error");
  EXPECT_EQ(PathOf("/a%00.html"), "error");
  EXPECT_EQ(PathOf("/a%0d%0aSet-Cookie:%20x"), "error");
  EXPECT_EQ(PathOf("/a%7f"), "error");
  EXPECT_EQ(PathOf("/a%2fb"), "error");
  EXPECT_EQ(PathOf("/a%2Fb"), "error");
  EXPECT_EQ(PathOf("/..%2f..%2fetc%2fpasswd"), "error");
  EXPECT_EQ(PathOf("/a#b"), "error");
  EXPECT_EQ(PathOf(""), "error");
}

TEST(ParseTargetTest, RemovesDotSegmentsAfterDecoding) {
  EXPECT_EQ(PathOf("/../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(PathOf("/a/b/../../../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(PathOf("/%2e%2e/%2e%2e/etc/passwd"), "/etc/passwd");
  EXPECT_EQ(PathOf("/%2E%2e/x"), "/x");
  EXPECT_EQ(PathOf("/a/.%2e/b"), "/b");
  EXPECT_EQ(PathOf("/a/./b/."), "/a/b/");
  EXPECT_EQ(PathOf("/a/b/.."), "/a/");
  EXPECT_EQ(PathOf("/.."), "/");
  EXPECT_EQ(PathOf("/."), "/");
  EXPECT_EQ(PathOf("/..."), "/...");  // three dots is a name
  EXPECT_EQ(PathOf("/a..b/.hidden"), "/a..b/.hidden");
}

TEST(ParseTargetTest, AbsoluteForm) {
  ParsedTarget parsed;
  ASSERT_TRUE(ParseTarget("http://example.org:8080/a/../b%20c?x=1", &parsed).ok());
  EXPECT_EQ(parsed.form, TargetForm::kAbsolute);
  EXPECT_EQ(parsed.path, "/b c");
  EXPECT_EQ(parsed.query, "x=1");
  ASSERT_TRUE(ParseTarget("HTTPS://example.org", &parsed).ok());
  EXPECT_EQ(parsed.path, "/");
  ASSERT_TRUE(ParseTarget("http://example.org?q", &parsed).ok());
  EXPECT_EQ(parsed.path, "/");
  EXPECT_EQ(parsed.query, "q");
  EXPECT_EQ(PathOf("http://evil/%2e%2e/%2e%2e/etc/passwd"), "/etc/passwd");
  EXPECT_EQ(PathOf("http:///no-authority"), "error");
}

TEST(ParseTargetTest, AuthorityAndAsteriskForms) {
  ParsedTarget parsed;
  ASSERT_TRUE(ParseTarget("example.org:443", &parsed).ok());
  EXPECT_EQ(parsed.form, TargetForm::kAuthority);
  EXPECT_EQ(parsed.path, "");
  ASSERT_TRUE(ParseTarget("*", &parsed).ok());
  EXPECT_EQ(parsed.form, TargetForm::kAsterisk);
  EXPECT_EQ(parsed.path, "");
}

TEST(RemoveDotSegmentsTest, Rfc3986Examples) {
  // RFC 3986 5.2.4 and the path parts of the 5.4 examples.
  const std::pair<std::string, std::string> cases[] = {
      {"/a/b/c/./../../g", "/a/g"}, {"/b/c/./g", "/b/c/g"},    {"/b/c/g/", "/b/c/g/"},
      {"/b/c/..", "/b/"},           {"/b/c/../g", "/b/g"},     {"/b/c/../..", "/"},
      {"/b/c/../../../g", "/g"},    {"/b/c/g.", "/b/c/g."},    {"/b/c/.g", "/b/c/.g"},
      {"/b/c/g..", "/b/c/g.."},     {"/b/c/..g", "/b/c/..g"},  {"/b/c/./../g", "/b/g"},
      {"/b/c/g/./h", "/b/c/g/h"},   {"/b/c/g/../h", "/b/c/h"}, {"/", "/"},
  };
  for (const auto& [input, expected] : cases) {
    std::string path = input;
    RemoveDotSegments(&path);
    EXPECT_EQ(path, expected) << input;
  }
}

TEST(RemoveDotSegmentsTest, MergesRunsOfSlashes) {
  // Empty segments go before the dots apply, so "//a//../b" is "/b" (RFC 3986 alone would
  // give "//a/b", whose "//a" a browser reads as a host).
  const std::pair<std::string, std::string> cases[] = {
      {"//a//../b", "/b"},
      {"//d/f", "/d/f"},
      {"/d///f", "/d/f"},
      {"/d/f//", "/d/f/"},
      {"//", "/"},
      {"///", "/"},
      {"//evil.example/../docs", "/docs"},
      {"/a//..", "/"},
      {"/a/.//b", "/a/b"},
  };
  for (const auto& [input, expected] : cases) {
    std::string path = input;
    RemoveDotSegments(&path);
    EXPECT_EQ(path, expected) << input;
  }
}

// Issue 19: every spelling of one file must give one path (the file cache's key). 100,000
// distinct slash runs around "/d/f", some with dot segments or an encoded letter, all come out
// as "/d/f".
TEST(ParseTargetTest, EverySpellingOfAPathIsOnePath) {
  ParsedTarget parsed;
  for (int i = 0; i < 100000; ++i) {
    std::string target(1 + i % 400, '/');
    target += (i % 3 == 0) ? "d" : "%64";
    target.append(1 + i / 400, '/');
    if (i % 5 == 1) target += "./";
    if (i % 7 == 2) target += "x/..//";
    target += "f";
    ASSERT_TRUE(ParseTarget(target, &parsed).ok()) << target;
    ASSERT_EQ(parsed.path, "/d/f") << target;
  }
}

TEST(AppendPercentEncodedPathTest, EncodesAllButPathCharacters) {
  std::string out;
  AppendPercentEncodedPath("/a b/%/\\/?#/caf\xc3\xa9/~-._!$&'()*+,;=:@", &out);
  EXPECT_EQ(out, "/a%20b/%25/%5C/%3F%23/caf%C3%A9/~-._!$&'()*+,;=:@");
  std::string decoded;
  ASSERT_TRUE(PercentDecodePath(out, &decoded).ok());
  EXPECT_EQ(decoded, "/a b/%/\\/?#/caf\xc3\xa9/~-._!$&'()*+,;=:@");
}

TEST(PercentDecodePathTest, RequiresAnAbsolutePath) {
  std::string out;
  EXPECT_FALSE(PercentDecodePath("a/b", &out).ok());
  EXPECT_FALSE(PercentDecodePath("", &out).ok());
  EXPECT_TRUE(PercentDecodePath("/a%41", &out).ok());
  EXPECT_EQ(out, "/aA");
}

}  // namespace
}  // namespace corral::http
