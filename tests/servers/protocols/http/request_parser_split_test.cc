#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "servers/protocols/http/request_parser.h"
#include "servers/protocols/http/text_util.h"
#include "tests/servers/protocols/http/parser_driver.h"
#include "tests/servers/protocols/http/request_samples.h"

namespace corral::http {
namespace {

using test_support::AllSamples;
using test_support::Drive;
using test_support::DriveByteByByte;
using test_support::DriveWhole;
using test_support::Escape;
using test_support::kChunkedPost;
using std::string_view_literals::operator""sv;

TEST(RequestParserSplitTest, EverySampleParsesIdenticallyAtEverySplitPoint) {
  for (std::string_view sample : AllSamples()) {
    SCOPED_TRACE(Escape(sample));
    std::vector<std::string> whole = DriveWhole(sample);
    ASSERT_FALSE(whole.empty());
    EXPECT_EQ(DriveByteByByte(sample), whole);
    for (std::size_t cut = 1; cut < sample.size(); ++cut) {
      ASSERT_EQ(Drive(sample, {cut}), whole) << "split at " << cut;
    }
  }
}

TEST(RequestParserSplitTest, ThreeWaySplitsOfTheChunkedSample) {
  std::vector<std::string> whole = DriveWhole(kChunkedPost);
  for (std::size_t a = 1; a < kChunkedPost.size(); a += 3) {
    for (std::size_t b = a + 1; b < kChunkedPost.size(); b += 5) {
      ASSERT_EQ(Drive(kChunkedPost, {a, b}), whole) << a << "," << b;
    }
  }
}

// Mutates the samples (replacing, inserting and deleting bytes chosen to hit the parser's
// decision points) and checks that each mutant, valid or not, parses the same whole, byte by
// byte and at random cuts. Under ASan this doubles as a small deterministic fuzzer.
TEST(RequestParserSplitTest, MutatedSamplesParseIdenticallyHoweverTheyArrive) {
  // The sv literal keeps the NUL.
  constexpr std::string_view kInteresting = "\r\n \t:;,0aF/%?#\x00\x7f\x80-=\"Hh"sv;
  std::mt19937 random(20261130);  // fixed seed: failures reproduce
  ParserLimits limits;
  limits.max_request_line_bytes = 64;  // small limits so mutants reach them too
  limits.max_header_bytes = 256;
  limits.max_header_count = 8;
  limits.max_body_bytes = 40;
  int mutants = 0;
  for (std::string_view sample : AllSamples()) {
    for (int round = 0; round < 150; ++round) {
      std::string mutant(sample);
      int edits = 1 + static_cast<int>(random() % 3);
      for (int e = 0; e < edits && !mutant.empty(); ++e) {
        std::size_t at = random() % mutant.size();
        char c = kInteresting[random() % kInteresting.size()];
        switch (random() % 3) {
          case 0:
            mutant[at] = c;
            break;
          case 1:
            mutant.insert(mutant.begin() + static_cast<std::ptrdiff_t>(at), c);
            break;
          default:
            mutant.erase(at, 1);
            break;
        }
      }
      std::vector<std::string> whole = DriveWhole(mutant, limits);
      ASSERT_EQ(DriveByteByByte(mutant, limits), whole) << Escape(mutant);
      std::vector<std::size_t> cuts;
      for (std::size_t i = 1; i < mutant.size(); ++i) {
        if (random() % 7 == 0) cuts.push_back(i);
      }
      ASSERT_EQ(Drive(mutant, cuts, limits), whole) << Escape(mutant);
      ++mutants;
    }
  }
  EXPECT_EQ(mutants, static_cast<int>(AllSamples().size()) * 150);
}

}  // namespace
}  // namespace corral::http
