#include "servers/protocols/http/response.h"

#include <fcntl.h>

#include <string>

#include "gtest/gtest.h"
#include "servers/protocols/http/error_response.h"
#include "servers/protocols/http/http_date.h"

namespace corral::http {
namespace {

constexpr std::string_view kDate = "Sun, 06 Nov 1994 08:49:37 GMT";

HeadOptions Options(bool keep_alive, Version version = Version::kHttp11) {
  HeadOptions options;
  options.keep_alive = keep_alive;
  options.version = version;
  return options;
}

std::string Head(const Response& response, HeadOptions options = HeadOptions()) {
  if (options.date.empty()) options.date = kDate;
  std::string out;
  response.SerializeHead(options, &out);
  return out;
}

TEST(ResponseTest, SerializesStatusLineDateLengthAndHeaders) {
  Response response;
  ASSERT_TRUE(response.AddHeader("Content-Type", "text/html; charset=utf-8").ok());
  response.SetBody("<h1>hi</h1>");
  EXPECT_EQ(Head(response),
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: corral\r\n"
            "Content-Length: 11\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            "\r\n");
  EXPECT_EQ(response.body(), "<h1>hi</h1>");
}

TEST(ResponseTest, ConnectionHeaderFollowsKeepAliveAndVersion) {
  Response response;
  EXPECT_EQ(Head(response, Options(false)).find("Connection: close\r\n") != std::string::npos,
            true);
  EXPECT_EQ(Head(response, Options(true)).find("Connection:"), std::string::npos);
  EXPECT_NE(Head(response, Options(true, Version::kHttp10)).find("Connection: keep-alive\r\n"),
            std::string::npos);
  response.RequestClose();
  EXPECT_FALSE(response.KeepsAlive(Options(true)));
  EXPECT_NE(Head(response, Options(true, Version::kHttp10)).find("Connection: close\r\n"),
            std::string::npos);
}

TEST(ResponseTest, NoContentLengthFor204And304AndInterim) {
  Response response;
  response.SetStatus(StatusCode::kNotModified);
  EXPECT_EQ(Head(response),
            "HTTP/1.1 304 Not Modified\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Server: corral\r\n\r\n");
  response.SetStatus(StatusCode::kNoContent);
  EXPECT_EQ(Head(response).find("Content-Length"), std::string::npos);
  response.SetStatus(StatusCode::kNotFound);
  EXPECT_NE(Head(response).find("Content-Length: 0\r\n"), std::string::npos);
  EXPECT_EQ(kContinueResponse, "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST(ResponseTest, FileBodyOnlyContributesItsLength) {
  Response response;
  response.SetBody("ignored");
  base::UniqueFd file(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file);
  const int file_fd = file.get();
  response.SetFileBody(std::move(file), 100, 1234567890123);
  EXPECT_TRUE(response.has_file_body());
  EXPECT_EQ(response.file_body().fd.get(), file_fd);
  EXPECT_EQ(response.file_body().offset, 100u);
  EXPECT_EQ(response.file_body().length, 1234567890123u);
  EXPECT_EQ(response.body(), "");
  EXPECT_NE(Head(response).find("Content-Length: 1234567890123\r\n"), std::string::npos);
  response.AppendBody("abc");
  EXPECT_FALSE(response.has_file_body());
  EXPECT_EQ(response.content_length(), 3u);
  EXPECT_EQ(::fcntl(file_fd, F_GETFD), -1);  // dropping the file body closed the file
}

TEST(ResponseTest, AddHeaderRejectsSplittingAndManagedNames) {
  Response response;
  EXPECT_FALSE(response.AddHeader("X-Evil", "a\r\nSet-Cookie: x=y").ok());
  EXPECT_FALSE(response.AddHeader("X-Evil", "a\nb").ok());
  EXPECT_FALSE(response.AddHeader("X-Evil", std::string_view("a\0b", 3)).ok());
  EXPECT_FALSE(response.AddHeader("Bad Name", "v").ok());
  EXPECT_FALSE(response.AddHeader("", "v").ok());
  EXPECT_FALSE(response.AddHeader("content-length", "5").ok());
  EXPECT_FALSE(response.AddHeader("Connection", "close").ok());
  EXPECT_FALSE(response.AddHeader("Date", "today").ok());
  EXPECT_FALSE(response.AddHeader("Transfer-Encoding", "chunked").ok());
  EXPECT_EQ(response.headers(), "");
  EXPECT_TRUE(response.AddHeader("X-Ok", "caf\xc3\xa9\tok").ok());
  EXPECT_TRUE(response.AddHeader("Keep-Alive", "timeout=5").ok());  // Connection's length
  EXPECT_EQ(response.headers(), "X-Ok: caf\xc3\xa9\tok\r\nKeep-Alive: timeout=5\r\n");
}

TEST(ResponseTest, SetHeaderReplacesEveryLineOfThatNameAndKeepsTheRest) {
  Response response;
  ASSERT_TRUE(response.AddHeader("Content-Type", "application/json").ok());
  ASSERT_TRUE(response.AddHeader("Set-Cookie", "a=1").ok());
  ASSERT_TRUE(response.AddHeader("content-type", "text/html").ok());
  ASSERT_TRUE(response.AddHeader("Set-Cookie", "b=2").ok());
  ASSERT_TRUE(response.SetHeader("CONTENT-TYPE", "text/plain").ok());
  EXPECT_EQ(response.headers(),
            "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nCONTENT-TYPE: text/plain\r\n");
  EXPECT_FALSE(response.SetHeader("Set-Cookie", "x\r\ny").ok());
  EXPECT_EQ(response.headers(),
            "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nCONTENT-TYPE: text/plain\r\n")
      << "a refused value removed the lines it would have replaced";
}

TEST(ResponseTest, ComposedHeadersAreAppendedLikeCheckedOnes) {
  Response checked;
  Response composed;
  ASSERT_TRUE(checked.AddHeader("ETag", "\"2a-2710\"").ok());
  composed.AddComposedHeader("ETag", "\"2a-2710\"");
  ASSERT_TRUE(checked.AddHeader("Accept-Ranges", "bytes").ok());
  composed.AddComposedHeader("Accept-Ranges", "bytes");
  EXPECT_EQ(composed.headers(), checked.headers());
}

TEST(ResponseTest, ResetKeepsNothingButCapacity) {
  Response response;
  response.SetStatus(StatusCode::kNotFound);
  ASSERT_TRUE(response.AddHeader("X-A", "1").ok());
  response.SetBody("body");
  response.RequestClose();
  base::UniqueFd file(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(file);
  const int file_fd = file.get();
  response.SetFileBody(std::move(file), 1, 2);
  response.Reset();
  EXPECT_FALSE(response.has_file_body());
  EXPECT_EQ(::fcntl(file_fd, F_GETFD), -1);  // closed
  EXPECT_EQ(response.status(), StatusCode::kOk);
  EXPECT_EQ(response.headers(), "");
  EXPECT_EQ(response.body(), "");
  EXPECT_FALSE(response.close_requested());
}

TEST(ResponseTest, HeadReusesTheCallersBuffer) {
  Response response;
  std::string buffer = "stale contents that must disappear";
  HeadOptions options;
  options.date = kDate;
  response.SerializeHead(options, &buffer);
  EXPECT_EQ(buffer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  const char* data = buffer.data();
  response.SerializeHead(options, &buffer);
  EXPECT_EQ(buffer.data(), data);
}

TEST(ResponseTest, DefaultDateIsTheCachedCurrentDate) {
  Response response;
  std::string head;
  response.SerializeHead(HeadOptions(), &head);
  std::string_view after = std::string_view(head).substr(head.find("Date: ") + 6);
  EXPECT_EQ(after.substr(kHttpDateLength - 4, 6), " GMT\r\n");
}

TEST(ResponseHasBodyTest, HeadAndBodilessStatuses) {
  EXPECT_TRUE(ResponseHasBody(Method::kGet, StatusCode::kOk));
  EXPECT_TRUE(ResponseHasBody(Method::kPost, StatusCode::kNotFound));
  EXPECT_FALSE(ResponseHasBody(Method::kHead, StatusCode::kOk));
  EXPECT_FALSE(ResponseHasBody(Method::kGet, StatusCode::kNoContent));
  EXPECT_FALSE(ResponseHasBody(Method::kGet, StatusCode::kNotModified));
  EXPECT_FALSE(ResponseHasBody(Method::kGet, StatusCode::kContinue));
}

TEST(ErrorResponseTest, EveryErrorStatusHasAShortBodyAndReason) {
  const StatusCode errors[] = {
      StatusCode::kBadRequest,
      StatusCode::kForbidden,
      StatusCode::kNotFound,
      StatusCode::kMethodNotAllowed,
      StatusCode::kRequestTimeout,
      StatusCode::kLengthRequired,
      StatusCode::kPreconditionFailed,
      StatusCode::kContentTooLarge,
      StatusCode::kUriTooLong,
      StatusCode::kRangeNotSatisfiable,
      StatusCode::kExpectationFailed,
      StatusCode::kRequestHeaderFieldsTooLarge,
      StatusCode::kInternalServerError,
      StatusCode::kNotImplemented,
      StatusCode::kServiceUnavailable,
      StatusCode::kHttpVersionNotSupported,
  };
  for (StatusCode status : errors) {
    Response response;
    MakeErrorResponse(status, &response);
    std::string reason(ReasonPhrase(status));
    EXPECT_NE(reason, "Unknown");
    std::string expected_body = std::to_string(static_cast<int>(status)) + " " + reason + "\n";
    EXPECT_EQ(response.body(), expected_body);
    EXPECT_EQ(response.headers(), "Content-Type: text/plain; charset=utf-8\r\n");
    std::string head = Head(response);
    EXPECT_EQ(
        head.rfind("HTTP/1.1 " + std::to_string(static_cast<int>(status)) + " " + reason + "\r\n",
                   0),
        0u);
    EXPECT_NE(head.find("Content-Length: " + std::to_string(expected_body.size()) + "\r\n"),
              std::string::npos);
  }
}

TEST(ErrorResponseTest, ParseErrorsCloseAnd405CarriesAllow) {
  Response response;
  MakeParseErrorResponse(ParseError{StatusCode::kUriTooLong, "too long"}, &response);
  EXPECT_EQ(response.status(), StatusCode::kUriTooLong);
  EXPECT_EQ(response.body(), "414 URI Too Long\n");
  EXPECT_TRUE(response.close_requested());
  EXPECT_NE(Head(response).find("Connection: close\r\n"), std::string::npos);

  MakeMethodNotAllowedResponse("GET, HEAD", &response);
  EXPECT_EQ(response.status(), StatusCode::kMethodNotAllowed);
  EXPECT_FALSE(response.close_requested());
  EXPECT_NE(response.headers().find("Allow: GET, HEAD\r\n"), std::string::npos);
  MakeMethodNotAllowedResponse("GET\r\nX: y", &response);
  EXPECT_EQ(response.status(), StatusCode::kInternalServerError);
}

TEST(StatusCodeTest, HttpStatusOfAbslStatus) {
  EXPECT_EQ(HttpStatusOf(absl::OkStatus()), StatusCode::kOk);
  EXPECT_EQ(HttpStatusOf(absl::InvalidArgumentError("x")), StatusCode::kBadRequest);
  EXPECT_EQ(HttpStatusOf(absl::NotFoundError("x")), StatusCode::kNotFound);
  EXPECT_EQ(HttpStatusOf(absl::PermissionDeniedError("x")), StatusCode::kForbidden);
  EXPECT_EQ(HttpStatusOf(absl::InternalError("x")), StatusCode::kInternalServerError);
  EXPECT_EQ(ReasonPhrase(static_cast<StatusCode>(299)), "Unknown");
}

}  // namespace
}  // namespace corral::http
