#include "servers/protocols/http/static_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "servers/protocols/http/http_date.h"

namespace corral::http {
namespace {

// A 10000-byte file last modified at the RFC's example date (plus 123 ns).
constexpr std::time_t kModified = 784111777;
constexpr std::string_view kLastModified = "Sun, 06 Nov 1994 08:49:37 GMT";

FileInfo Info() {
  FileInfo info;
  info.size = 10000;
  info.mtime_seconds = kModified;
  info.mtime_nanoseconds = 123;
  info.inode = 42;
  return info;
}

// The file bytes a connection would send after the head.
struct Slice {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct Outcome {
  Response response;
  Slice slice;
};

Outcome Serve(Method method, std::vector<Header> headers, std::string_view path = "/app.js") {
  Request request;
  request.method = method;
  request.path = path;
  request.headers = std::move(headers);
  Outcome outcome;
  // Any open file stands in for the one described by Info(): no I/O happens here.
  base::UniqueFd file(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int file_fd = file.get();
  PrepareStaticFileResponse(request, path, std::move(file), Info(), &outcome.response);
  const Response& response = outcome.response;
  if (response.has_file_body()) {
    EXPECT_EQ(response.file_body().fd.get(), file_fd);  // handed over, not reopened
    EXPECT_EQ(response.content_length(), response.file_body().length);
    if (ResponseHasBody(method, response.status())) {
      outcome.slice = Slice{response.file_body().offset, response.file_body().length};
    }
  }
  return outcome;
}

bool HasHeader(const Response& response, std::string_view line) {
  return response.headers().find(std::string(line) + "\r\n") != std::string_view::npos;
}

const std::string& ETag() {
  static const std::string* etag = new std::string(MakeETag(Info()));
  return *etag;
}

TEST(StaticFileTest, ETagEncodesInodeSizeAndNanosecondMtime) {
  EXPECT_EQ(ETag(), "\"2a-2710-ae1b981bc490a7b\"");
  FileInfo touched = Info();
  touched.mtime_nanoseconds += 1;
  EXPECT_NE(MakeETag(touched), ETag());
  FileInfo replaced = Info();
  replaced.inode += 1;
  EXPECT_NE(MakeETag(replaced), ETag());
}

TEST(StaticFileTest, PlainGetIs200WithValidators) {
  Outcome o = Serve(Method::kGet, {});
  EXPECT_EQ(o.response.status(), StatusCode::kOk);
  EXPECT_EQ(o.response.headers(),
            "Content-Type: text/javascript; charset=utf-8\r\n"
            "ETag: " +
                ETag() +
                "\r\n"
                "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                "Accept-Ranges: bytes\r\n");
  EXPECT_TRUE(o.response.has_file_body());
  EXPECT_EQ(o.response.content_length(), 10000u);
  EXPECT_EQ(o.slice.offset, 0u);
  EXPECT_EQ(o.slice.length, 10000u);
}

// Each thread keeps the last file's validator text: a different file, or the same one changed,
// must get its own, and a return to the first its first again.
TEST(StaticFileTest, EachFileInTurnGetsItsOwnValidators) {
  FileInfo later = Info();
  later.mtime_seconds += 86400;
  FileInfo touched = Info();
  touched.mtime_nanoseconds += 1;
  FileInfo replaced = Info();  // renamed over: another inode, same size and times
  replaced.inode += 1;
  FileInfo grown = Info();
  grown.size += 1;
  Request request;
  request.method = Method::kGet;
  request.path = "/app.js";
  for (const FileInfo& info : {Info(), later, touched, replaced, grown, Info()}) {
    Response response;
    PrepareStaticFileResponse(request, request.path, base::UniqueFd(), info, &response);
    const std::string last_modified = FormatHttpDate(static_cast<std::time_t>(info.mtime_seconds));
    EXPECT_TRUE(HasHeader(response, "ETag: " + MakeETag(info))) << response.headers();
    EXPECT_TRUE(HasHeader(response, "Last-Modified: " + last_modified)) << response.headers();
  }
}

TEST(StaticFileTest, HeadSendsLengthButNoBytes) {
  Outcome o = Serve(Method::kHead, {{"Range", "bytes=0-9"}});
  EXPECT_EQ(o.response.status(), StatusCode::kOk);  // Range is for GET only
  EXPECT_EQ(o.response.content_length(), 10000u);
  EXPECT_EQ(o.slice.length, 0u);
}

TEST(StaticFileTest, OtherMethodsAre405) {
  Outcome o = Serve(Method::kPost, {});
  EXPECT_EQ(o.response.status(), StatusCode::kMethodNotAllowed);
  EXPECT_TRUE(HasHeader(o.response, "Allow: GET, HEAD"));
  EXPECT_EQ(o.slice.length, 0u);
}

TEST(StaticFileTest, IfNoneMatchGives304) {
  const std::string lists[] = {
      ETag(), "W/" + ETag(), "\"other\", " + ETag(), "*", "\"a\",W/\"b\" ,  " + ETag(),
  };
  for (const std::string& list : lists) {
    Outcome o = Serve(Method::kGet, {{"If-None-Match", list}});
    EXPECT_EQ(o.response.status(), StatusCode::kNotModified) << list;
    EXPECT_TRUE(HasHeader(o.response, "ETag: " + ETag()));
    EXPECT_TRUE(HasHeader(o.response, "Last-Modified: " + std::string(kLastModified)));
    EXPECT_EQ(o.slice.length, 0u);
    EXPECT_FALSE(ResponseHasBody(Method::kGet, o.response.status()));
  }
  Outcome head = Serve(Method::kHead, {{"If-None-Match", ETag()}});
  EXPECT_EQ(head.response.status(), StatusCode::kNotModified);
}

TEST(StaticFileTest, IfNoneMatchMismatchBeatsIfModifiedSince) {
  Outcome o = Serve(Method::kGet, {{"If-None-Match", "\"stale\""},
                                   {"If-Modified-Since", std::string(kLastModified)}});
  EXPECT_EQ(o.response.status(), StatusCode::kOk);
  // A second If-None-Match field line is part of the same list.
  Outcome two = Serve(Method::kGet, {{"If-None-Match", "\"stale\""}, {"If-None-Match", ETag()}});
  EXPECT_EQ(two.response.status(), StatusCode::kNotModified);
}

TEST(StaticFileTest, IfModifiedSince) {
  EXPECT_EQ(Serve(Method::kGet, {{"If-Modified-Since", kLastModified}}).response.status(),
            StatusCode::kNotModified);
  EXPECT_EQ(
      Serve(Method::kGet, {{"If-Modified-Since", "Sun Nov  6 08:49:38 1994"}}).response.status(),
      StatusCode::kNotModified);
  EXPECT_EQ(Serve(Method::kGet, {{"If-Modified-Since", "Sunday, 06-Nov-94 08:49:36 GMT"}})
                .response.status(),
            StatusCode::kOk);
  EXPECT_EQ(Serve(Method::kGet, {{"If-Modified-Since", "yesterday"}}).response.status(),
            StatusCode::kOk);
}

TEST(StaticFileTest, IfMatchUsesStrongComparison) {
  EXPECT_EQ(Serve(Method::kGet, {{"If-Match", ETag()}}).response.status(), StatusCode::kOk);
  EXPECT_EQ(Serve(Method::kGet, {{"If-Match", "*"}}).response.status(), StatusCode::kOk);
  Outcome weak = Serve(Method::kGet, {{"If-Match", "W/" + ETag()}});
  EXPECT_EQ(weak.response.status(), StatusCode::kPreconditionFailed);
  EXPECT_EQ(weak.response.body(), "412 Precondition Failed\n");
  EXPECT_EQ(weak.slice.length, 0u);
  EXPECT_EQ(Serve(Method::kGet, {{"If-Match", "\"nope\""}}).response.status(),
            StatusCode::kPreconditionFailed);
  EXPECT_EQ(Serve(Method::kGet, {{"If-Match", "garbage"}}).response.status(),
            StatusCode::kPreconditionFailed);
  // Step 1 comes before step 3.
  EXPECT_EQ(
      Serve(Method::kGet, {{"If-Match", "\"nope\""}, {"If-None-Match", ETag()}}).response.status(),
      StatusCode::kPreconditionFailed);
}

TEST(StaticFileTest, IfUnmodifiedSince) {
  EXPECT_EQ(Serve(Method::kGet, {{"If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}})
                .response.status(),
            StatusCode::kPreconditionFailed);
  EXPECT_EQ(Serve(Method::kGet, {{"If-Unmodified-Since", kLastModified}}).response.status(),
            StatusCode::kOk);
  // Ignored when If-Match is present (RFC 9110 13.2.2 step 2).
  EXPECT_EQ(Serve(Method::kGet,
                  {{"If-Match", ETag()}, {"If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:36 GMT"}})
                .response.status(),
            StatusCode::kOk);
}

TEST(StaticFileTest, SingleRangeIs206) {
  Outcome o = Serve(Method::kGet, {{"Range", "bytes=100-199"}});
  EXPECT_EQ(o.response.status(), StatusCode::kPartialContent);
  EXPECT_TRUE(HasHeader(o.response, "Content-Range: bytes 100-199/10000"));
  EXPECT_TRUE(HasHeader(o.response, "Content-Type: text/javascript; charset=utf-8"));
  EXPECT_EQ(o.response.content_length(), 100u);
  EXPECT_EQ(o.slice.offset, 100u);
  EXPECT_EQ(o.slice.length, 100u);

  Outcome suffix = Serve(Method::kGet, {{"Range", "bytes=-10"}});
  EXPECT_TRUE(HasHeader(suffix.response, "Content-Range: bytes 9990-9999/10000"));
  EXPECT_EQ(suffix.slice.offset, 9990u);
  EXPECT_EQ(suffix.slice.length, 10u);

  Outcome open = Serve(Method::kGet, {{"Range", "bytes=9000-"}});
  EXPECT_TRUE(HasHeader(open.response, "Content-Range: bytes 9000-9999/10000"));
  EXPECT_EQ(open.slice.length, 1000u);
}

TEST(StaticFileTest, UnsatisfiableRangeIs416) {
  Outcome o = Serve(Method::kGet, {{"Range", "bytes=10000-"}});
  EXPECT_EQ(o.response.status(), StatusCode::kRangeNotSatisfiable);
  EXPECT_TRUE(HasHeader(o.response, "Content-Range: bytes */10000"));
  EXPECT_EQ(o.response.body(), "416 Range Not Satisfiable\n");
  EXPECT_FALSE(o.response.has_file_body());
  EXPECT_EQ(o.slice.length, 0u);
}

TEST(StaticFileTest, MultipleOrInvalidRangesServeTheWholeFile) {
  for (std::string_view range : {"bytes=0-1,5-9", "bytes=9-1", "lines=1-2"}) {
    Outcome o = Serve(Method::kGet, {{"Range", range}});
    EXPECT_EQ(o.response.status(), StatusCode::kOk) << range;
    EXPECT_EQ(o.slice.length, 10000u);
  }
}

TEST(StaticFileTest, IfRange) {
  auto status = [](std::string_view if_range) {
    return Serve(Method::kGet, {{"Range", "bytes=0-9"}, {"If-Range", if_range}}).response.status();
  };
  EXPECT_EQ(status(ETag()), StatusCode::kPartialContent);
  EXPECT_EQ(status(kLastModified), StatusCode::kPartialContent);
  EXPECT_EQ(status("\"changed\""), StatusCode::kOk);
  EXPECT_EQ(status("W/" + ETag()), StatusCode::kOk);  // weak tags never match If-Range
  EXPECT_EQ(status("Sun, 06 Nov 1994 08:49:38 GMT"), StatusCode::kOk);
  EXPECT_EQ(status("garbage"), StatusCode::kOk);
  // An unsatisfiable range behind a failed If-Range is simply the whole file.
  EXPECT_EQ(Serve(Method::kGet, {{"Range", "bytes=20000-"}, {"If-Range", "\"changed\""}})
                .response.status(),
            StatusCode::kOk);
}

TEST(StaticFileTest, NotModifiedBeatsRange) {
  EXPECT_EQ(
      Serve(Method::kGet, {{"Range", "bytes=0-9"}, {"If-None-Match", ETag()}}).response.status(),
      StatusCode::kNotModified);
}

TEST(StaticFileTest, EmptyFile) {
  Request request;
  request.method = Method::kGet;
  FileInfo empty = Info();
  empty.size = 0;
  Response response;
  PrepareStaticFileResponse(request, "/empty.txt", base::UniqueFd(), empty, &response);
  EXPECT_EQ(response.status(), StatusCode::kOk);
  EXPECT_EQ(response.content_length(), 0u);
  EXPECT_TRUE(response.has_file_body());
  EXPECT_EQ(response.file_body().length, 0u);
  request.headers.push_back({"Range", "bytes=0-"});
  PrepareStaticFileResponse(request, "/empty.txt", base::UniqueFd(), empty, &response);
  EXPECT_EQ(response.status(), StatusCode::kRangeNotSatisfiable);
  EXPECT_NE(response.headers().find("Content-Range: bytes */0\r\n"), std::string_view::npos);
}

TEST(StaticFileTest, FileInfoFromStat) {
  std::string path = ::testing::TempDir() + "corral_http_static_file_info";
  std::ofstream(path) << "12345";
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  FileInfo info = FileInfo::FromStat(st);
  EXPECT_EQ(info.size, 5u);
  EXPECT_EQ(info.inode, static_cast<std::uint64_t>(st.st_ino));
  EXPECT_EQ(info.mtime_seconds, st.st_mtim.tv_sec);
  EXPECT_EQ(info.mtime_nanoseconds, st.st_mtim.tv_nsec);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace corral::http
