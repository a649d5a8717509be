// FileText: a small file's whole contents, for tests that check what a process wrote (a log, a
// pid file).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace corral::testing {

// The file's bytes; "" when it cannot be read (absent, not yet written).
inline std::string FileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace corral::testing
