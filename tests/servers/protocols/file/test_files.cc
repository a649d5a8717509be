#include "tests/servers/protocols/file/test_files.h"

#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace corral::protocols::file::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::path(::testing::TempDir()) / "corral-file-XXXXXX");
  char* made = ::mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  ASSERT_TRUE(out.good()) << "write " << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "read " << path;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string Pattern(size_t size, unsigned seed) {
  std::string data(size, '\0');
  uint32_t state = seed * 2654435761u + 1;
  for (char& c : data) {
    state = state * 1664525u + 1013904223u;  // an LCG: cheap, deterministic, no period issue here
    c = static_cast<char>(state >> 24);
  }
  return data;
}

}  // namespace corral::protocols::file::testing
