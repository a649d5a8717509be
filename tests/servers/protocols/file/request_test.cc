#include "servers/protocols/file/request.h"

#include "gtest/gtest.h"

namespace corral::protocols::file {
namespace {

TEST(ParseRequest, ParsesEveryCommand) {
  absl::StatusOr<Request> list = ParseRequest("LIST");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->verb, Request::Verb::kList);
  EXPECT_EQ(list->path, "");

  absl::StatusOr<Request> list_dir = ParseRequest("LIST docs/x");
  ASSERT_TRUE(list_dir.ok());
  EXPECT_EQ(list_dir->path, "docs/x");

  absl::StatusOr<Request> get = ParseRequest("GET a.txt");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->verb, Request::Verb::kGet);
  EXPECT_EQ(get->path, "a.txt");

  absl::StatusOr<Request> put = ParseRequest("PUT dir/b.bin 5242880");
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->verb, Request::Verb::kPut);
  EXPECT_EQ(put->path, "dir/b.bin");
  EXPECT_EQ(put->size, 5242880u);

  absl::StatusOr<Request> quit = ParseRequest("QUIT");
  ASSERT_TRUE(quit.ok());
  EXPECT_EQ(quit->verb, Request::Verb::kQuit);
}

TEST(ParseRequest, IsLenientAboutCaseAndSpacing) {
  absl::StatusOr<Request> get = ParseRequest("get   a.txt ");
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->verb, Request::Verb::kGet);
  EXPECT_EQ(get->path, "a.txt");
}

TEST(ParseRequest, UnescapesPaths) {
  absl::StatusOr<Request> get = ParseRequest("GET my%20file%0A.txt");
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ(get->path, "my file\n.txt");
}

TEST(ParseRequest, RefusesMalformedLinesWithAReason) {
  struct Case {
    const char* line;
    const char* reason;
  };
  for (const Case& c :
       {Case{"", "empty"}, Case{"   ", "empty"}, Case{"DELETE a", "unknown command \"DELETE\""},
        Case{"GET", "usage: GET PATH"}, Case{"GET a b", "usage: GET PATH"},
        Case{"PUT a", "usage: PUT PATH SIZE"}, Case{"PUT a -1", "not a decimal"},
        Case{"PUT a 1k", "not a decimal"}, Case{"LIST a b", "usage: LIST [DIR]"},
        Case{"QUIT now", "usage: QUIT"}, Case{"GET a%zz", "bad escape"}}) {
    absl::StatusOr<Request> request = ParseRequest(c.line);
    EXPECT_TRUE(absl::IsInvalidArgument(request.status())) << c.line;
    EXPECT_NE(request.status().message().find(c.reason), absl::string_view::npos)
        << c.line << " -> " << request.status();
  }
}

TEST(ParseRequest, EscapesTheUnknownCommandInItsMessage) {
  absl::StatusOr<Request> request = ParseRequest("\x1b[2J");
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.status().message().find('\x1b'), absl::string_view::npos);
}

TEST(FormatRequest, RoundTripsThroughParse) {
  for (const Request& original :
       {Request{Request::Verb::kList, "", 0}, Request{Request::Verb::kList, "a dir", 0},
        Request{Request::Verb::kGet, "we\nird%\"name", 0},
        Request{Request::Verb::kPut, "x/y.bin", 123456789}, Request{Request::Verb::kQuit, "", 0}}) {
    std::string line = FormatRequest(original);
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line only";
    line.pop_back();
    absl::StatusOr<Request> parsed = ParseRequest(line);
    ASSERT_TRUE(parsed.ok()) << line << ": " << parsed.status();
    EXPECT_EQ(parsed->verb, original.verb);
    EXPECT_EQ(parsed->path, original.path);
    EXPECT_EQ(parsed->size, original.size);
  }
}

}  // namespace
}  // namespace corral::protocols::file
