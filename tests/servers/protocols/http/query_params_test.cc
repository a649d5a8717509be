#include "servers/protocols/http/query_params.h"

#include "gtest/gtest.h"

namespace corral::http {
namespace {

TEST(QueryParamsTest, DecodesFormEncoding) {
  QueryParams params;
  params.Parse("name=J%C3%BCrgen+M&empty=&flag&x=1&x=2&%61%3D=b%26c");
  EXPECT_EQ(params.Find("name"), "J\xC3\xBCrgen M");
  EXPECT_EQ(params.Find("empty"), "");
  EXPECT_EQ(params.Find("flag"), "");
  EXPECT_EQ(params.Find("x"), "1");  // the first of repeats
  EXPECT_EQ(params.Find("a="), "b&c");
  EXPECT_EQ(params.Find("missing"), std::nullopt);
  EXPECT_EQ(params.all().size(), 6u);
}

TEST(QueryParamsTest, KeepsMalformedPercentAndSkipsEmptyPairs) {
  QueryParams params;
  params.Parse("&a=%zz&&b=%4&c=100%&");
  EXPECT_EQ(params.Find("a"), "%zz");
  EXPECT_EQ(params.Find("b"), "%4");
  EXPECT_EQ(params.Find("c"), "100%");
  EXPECT_EQ(params.all().size(), 3u);
}

TEST(QueryParamsTest, ViewsStayValidAcrossTheWholeQuery) {
  // Many pairs: if decoding reallocated its buffer midway, the first views would dangle.
  std::string query;
  for (int i = 0; i < 200; ++i)
    query += "k" + std::to_string(i) + "=v%20" + std::to_string(i) + "&";
  QueryParams params;
  params.Parse(query);
  EXPECT_EQ(params.Find("k0"), "v 0");
  EXPECT_EQ(params.Find("k199"), "v 199");
}

TEST(QueryParamsTest, DecodesNulAsAByte) {
  QueryParams params;
  params.Parse("a=x%00y");
  EXPECT_EQ(params.Find("a"), std::string_view("x\0y", 3));
}

}  // namespace
}  // namespace corral::http
