#include "servers/protocols/http/mime_types.h"

#include "gtest/gtest.h"

namespace corral::http {
namespace {

TEST(MimeTypesTest, CommonExtensions) {
  EXPECT_EQ(ContentTypeForPath("/index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeForPath("/a/b/site.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeForPath("/app.min.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeForPath("/data.json"), "application/json");
  EXPECT_EQ(ContentTypeForPath("/logo.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeForPath("/photo.JPEG"), "image/jpeg");
  EXPECT_EQ(ContentTypeForPath("/font.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeForPath("/paper.pdf"), "application/pdf");
  EXPECT_EQ(ContentTypeForPath("/module.wasm"), "application/wasm");
}

TEST(MimeTypesTest, UnknownMissingAndDotFilesAreOctetStream) {
  EXPECT_EQ(ContentTypeForPath("/archive.xyz"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForPath("/Makefile"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForPath("/.html"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForPath("/dir.html/file"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForPath("/trailing."), "application/octet-stream");
  EXPECT_EQ(ContentTypeForPath(""), "application/octet-stream");
}

}  // namespace
}  // namespace corral::http
