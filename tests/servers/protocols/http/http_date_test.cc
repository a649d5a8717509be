#include "servers/protocols/http/http_date.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace corral::http {
namespace {

// 1994-11-06 08:49:37 UTC, the RFC's example.
constexpr std::time_t kRfcExample = 784111777;

TEST(HttpDateTest, FormatsImfFixdate) {
  EXPECT_EQ(FormatHttpDate(kRfcExample), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(1767225599), "Wed, 31 Dec 2025 23:59:59 GMT");
  EXPECT_EQ(FormatHttpDate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
}

TEST(HttpDateTest, ParsesAllThreeFormats) {
  EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), kRfcExample);
  EXPECT_EQ(ParseHttpDate("Thu Feb 29 00:00:00 2024"), 1709164800);
  EXPECT_EQ(ParseHttpDate("Thursday, 01-Jan-05 00:00:00 GMT"), 1104537600);
}

TEST(HttpDateTest, RoundTripsAcrossYears) {
  for (std::time_t t = -86400 * 365; t < 4102444800; t += 86400 * 37 + 3671) {
    std::optional<std::time_t> parsed = ParseHttpDate(FormatHttpDate(t));
    ASSERT_TRUE(parsed.has_value()) << FormatHttpDate(t);
    EXPECT_EQ(*parsed, t);
  }
}

TEST(HttpDateTest, RejectsMalformedDates) {
  const char* cases[] = {
      "",
      "Sun, 06 Nov 1994 08:49:37 UTC",  // zone must be GMT
      "Sun, 6 Nov 1994 08:49:37 GMT",   // two-digit day
      "sun, 06 Nov 1994 08:49:37 GMT",  // case-sensitive names
      "Sun, 06 nov 1994 08:49:37 GMT",
      "Sun, 31 Feb 1994 08:49:37 GMT",  // no such day
      "Sun, 29 Feb 1900 08:49:37 GMT",  // 1900 was not a leap year
      "Sun, 06 Nov 1994 24:00:00 GMT",
      "Sun, 06 Nov 1994 08:60:00 GMT",
      "Sun, 06 Nov 1994 08:49:37 GMT ",  // trailing junk
      "Sun, 06 Nov 1994 08:49 GMT",
      "Sun Nov 6 08:49:37 1994",      // asctime pads with a space
      "Sun, 06-Nov-94 08:49:37 GMT",  // RFC 850 needs the long day name
      "1994-11-06T08:49:37Z",
      "Funday, 06-Nov-94 08:49:37 GMT",
  };
  for (const char* text : cases) EXPECT_EQ(ParseHttpDate(text), std::nullopt) << text;
}

TEST(HttpDateTest, CacheChangesOnlyWithTheSecond) {
  std::string_view first = CachedHttpDate(kRfcExample);
  EXPECT_EQ(first, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(CachedHttpDate(kRfcExample).data(), first.data());  // same buffer, no reformat
  EXPECT_EQ(CachedHttpDate(kRfcExample + 1), "Sun, 06 Nov 1994 08:49:38 GMT");
  EXPECT_EQ(CurrentHttpDate().size(), kHttpDateLength);
  EXPECT_TRUE(ParseHttpDate(CurrentHttpDate()).has_value());
}

TEST(HttpDateTest, CacheIsPerThread) {
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([i, &results] {
      for (int round = 0; round < 1000; ++round) {
        std::string_view date = CachedHttpDate(kRfcExample + i);
        if (date != FormatHttpDate(kRfcExample + i)) {
          results[i] = "mismatch";
          return;
        }
      }
      results[i] = std::string(CachedHttpDate(kRfcExample + i));
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(results[i], FormatHttpDate(kRfcExample + i));
}

}  // namespace
}  // namespace corral::http
