// The main() a fuzz target gets in the normal (gcc, no libFuzzer) build: it runs every file of
// the directories named on the command line through LLVMFuzzerTestOneInput once, so the suite
// keeps each seed and each saved crash as a regression test without clang.
//
// Usage: TARGET_replay DIR... (a missing directory is an error: a typo must not pass as "no
// inputs"; files whose name starts with '.' are skipped, so a .gitkeep can hold an empty one).
// Exit status: 0 when every input ran; an input that breaks an invariant aborts the process, and
// the name printed just before says which one it was.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR...\n", argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    std::error_code error;
    std::filesystem::directory_iterator it(argv[i], error);
    if (error) {
      std::fprintf(stderr, "replay: list %s: %s\n", argv[i], error.message().c_str());
      return 2;
    }
    for (const auto& entry : it) {
      if (entry.is_regular_file() && !entry.path().filename().string().starts_with('.')) {
        inputs.push_back(entry.path());
      }
    }
  }
  std::sort(inputs.begin(), inputs.end());  // a failure reproduces in the same order
  for (const std::filesystem::path& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "replay: read %s: cannot open\n", path.c_str());
      return 2;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
