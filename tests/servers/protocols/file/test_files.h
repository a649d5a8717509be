// Test helpers: a scratch directory removed with everything in it, and whole-file I/O.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace corral::protocols::file::testing {

// mkdtemp under the test temp directory; removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& relative) const { return (path_ / relative).string(); }

 private:
  std::filesystem::path path_;
};

void WriteFile(const std::string& path, const std::string& content);
// The whole file; fails the test (and returns "") when it cannot be read.
std::string ReadFile(const std::string& path);
// The names in `dir`, sorted (hidden ones included).
std::vector<std::string> Names(const std::string& dir);
// `size` bytes of a deterministic, non-repeating-looking pattern (so shifted or duplicated
// chunks are caught by a byte comparison).
std::string Pattern(size_t size, unsigned seed = 1);

// Test names for suites run with O_TMPFILE (true) and with the named-temp-file fallback (false).
inline std::string TempFileModeName(const ::testing::TestParamInfo<bool>& mode) {
  return mode.param ? "Tmpfile" : "NamedTemp";
}

}  // namespace corral::protocols::file::testing
