#include "servers/protocols/file/reply.h"

#include "gtest/gtest.h"

namespace corral::protocols::file {
namespace {

TEST(ParseReply, ParsesTheThreeShapes) {
  absl::StatusOr<Reply> ok = ParseReply("OK 42");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->kind, Reply::Kind::kOk);
  EXPECT_EQ(ok->text, "42");

  absl::StatusOr<Reply> bare = ParseReply("OK");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->kind, Reply::Kind::kOk);
  EXPECT_EQ(bare->text, "");

  absl::StatusOr<Reply> go_on = ParseReply("CONTINUE");
  ASSERT_TRUE(go_on.ok());
  EXPECT_EQ(go_on->kind, Reply::Kind::kContinue);

  absl::StatusOr<Reply> err = ParseReply("ERR 409 upload \"a.txt\": exists");
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->kind, Reply::Kind::kError);
  EXPECT_EQ(err->code, 409);
  EXPECT_EQ(err->text, "upload \"a.txt\": exists");
}

TEST(ParseReply, RefusesAnythingElse) {
  for (const char* line :
       {"", "ok 1", "OKAY", "ERR", "ERR x msg", "ERR 42 msg", "CONTINUE 1", "HTTP/1.1 200 OK"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseReply(line).status())) << line;
  }
}

TEST(ErrorLine, UsesTheStableCodes) {
  EXPECT_EQ(ErrorLine(absl::InvalidArgumentError("x")), "ERR 400 x\n");
  EXPECT_EQ(ErrorLine(absl::PermissionDeniedError("x")), "ERR 403 x\n");
  EXPECT_EQ(ErrorLine(absl::NotFoundError("x")), "ERR 404 x\n");
  EXPECT_EQ(ErrorLine(absl::DeadlineExceededError("x")), "ERR 408 x\n");
  EXPECT_EQ(ErrorLine(absl::AlreadyExistsError("x")), "ERR 409 x\n");
  EXPECT_EQ(ErrorLine(absl::OutOfRangeError("x")), "ERR 413 x\n");
  EXPECT_EQ(ErrorLine(absl::ResourceExhaustedError("x")), "ERR 414 x\n");
  EXPECT_EQ(ErrorLine(absl::InternalError("x")), "ERR 500 x\n");
  EXPECT_EQ(ErrorLine(absl::UnknownError("x")), "ERR 500 x\n");
}

TEST(ErrorLine, CannotBreakTheFraming) {
  EXPECT_EQ(ErrorLine(absl::InternalError("a\nb\r\x1b")), "ERR 500 a?b??\n");
}

TEST(StatusFromReply, InvertsWireCodeOf) {
  for (absl::Status status :
       {absl::InvalidArgumentError("m"), absl::PermissionDeniedError("m"), absl::NotFoundError("m"),
        absl::DeadlineExceededError("m"), absl::AlreadyExistsError("m"), absl::OutOfRangeError("m"),
        absl::ResourceExhaustedError("m"), absl::InternalError("m")}) {
    std::string line = ErrorLine(status);
    line.pop_back();
    absl::StatusOr<Reply> reply = ParseReply(line);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(StatusFromReply(*reply), status);
  }
}

TEST(StatusFromReply, MapsUnknownCodesByClass) {
  EXPECT_TRUE(absl::IsInvalidArgument(StatusFromReply({Reply::Kind::kError, 418, "teapot"})));
  EXPECT_TRUE(absl::IsInternal(StatusFromReply({Reply::Kind::kError, 503, "busy"})));
}

}  // namespace
}  // namespace corral::protocols::file
