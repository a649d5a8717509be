#include "agent/grpc_status.h"

#include <gtest/gtest.h>

namespace corral::agent {
namespace {

TEST(GrpcStatusTest, KeepsCodeAndMessage) {
  struct Case {
    absl::Status in;
    grpc::StatusCode code;
  } cases[] = {
      {absl::InvalidArgumentError("bad"), grpc::StatusCode::INVALID_ARGUMENT},
      {absl::NotFoundError("bad"), grpc::StatusCode::NOT_FOUND},
      {absl::AlreadyExistsError("bad"), grpc::StatusCode::ALREADY_EXISTS},
      {absl::FailedPreconditionError("bad"), grpc::StatusCode::FAILED_PRECONDITION},
      {absl::UnimplementedError("bad"), grpc::StatusCode::UNIMPLEMENTED},
      {absl::PermissionDeniedError("bad"), grpc::StatusCode::PERMISSION_DENIED},
      {absl::UnauthenticatedError("bad"), grpc::StatusCode::UNAUTHENTICATED},
  };
  for (const Case& c : cases) {
    grpc::Status out = ToGrpcStatus(c.in);
    EXPECT_EQ(out.error_code(), c.code) << c.in;
    EXPECT_EQ(out.error_message(), "bad");
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace corral::agent
