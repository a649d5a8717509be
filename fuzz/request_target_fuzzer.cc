// Fuzzes the request-target decoding (servers/protocols/http/request_target.h) and the file
// resolver it feeds (file_resolver.h), on a small served tree with symlinks that lead out of it.
// Checks, for every input:
//  - a decoded path starts with '/', has no "." or ".." segment, no control byte when the
//    target had none (the request parser refuses raw ones before decoding), and is a fixed
//    point of RemoveDotSegments (decode once, normalise once);
//  - whatever path reaches FileResolver::Resolve, decoded or raw (the resolver must not rely on
//    the decoder), under both lookups (openat2 and realpath), a file it opens is a regular file
//    inside the root: the descriptor's /proc/self/fd link lies under the root.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "servers/protocols/http/file_resolver.h"
#include "servers/protocols/http/request_target.h"

namespace corral::http {
namespace {

// BASE/root is served; BASE/outside/secret.txt must never be opened through it.
struct Tree {
  std::string base;
  std::string root;
  FileResolver openat2;
  FileResolver realpath;
};

std::string MakeBase() {
  char dir[] = "/tmp/corral-fuzz-target.XXXXXX";
  FUZZ_CHECK(::mkdtemp(dir) != nullptr, "mkdtemp");
  return dir;
}

const Tree& ServedTree() {
  static const Tree* tree = [] {
    namespace fs = std::filesystem;
    const std::string base = MakeBase();
    const fs::path root = fs::path(base) / "root";
    fs::create_directories(root / "docs");
    fs::create_directories(root / "empty");
    fs::create_directories(fs::path(base) / "outside");
    std::ofstream(fs::path(base) / "outside" / "secret.txt") << "secret";
    std::ofstream(root / "index.html") << "<h1>index</h1>";
    std::ofstream(root / "a.txt") << "a";
    std::ofstream(root / "docs" / "index.html") << "<h1>docs</h1>";
    fs::create_symlink("../outside", root / "up");                                // relative, out
    fs::create_symlink(fs::path(base) / "outside" / "secret.txt", root / "abs");  // absolute, out
    fs::create_symlink("a.txt", root / "in");                                     // stays inside
    fs::create_symlink("docs/../../outside", root / "climb");                     // climbs out
    fs::create_symlink("loop", root / "loop");
    std::atexit([] { std::filesystem::remove_all(ServedTree().base); });
    auto openat2 = FileResolver::Create(root.string(), FileResolver::Lookup::kOpenat2);
    auto realpath = FileResolver::Create(root.string(), FileResolver::Lookup::kRealpath);
    FUZZ_CHECK(openat2.ok() && realpath.ok(), "create the resolvers");
    return new Tree{base, openat2->root(), *std::move(openat2), *std::move(realpath)};
  }();
  return *tree;
}

void CheckResolve(const FileResolver& resolver, std::string_view path) {
  absl::StatusOr<ResolvedFile> file = resolver.Resolve(path);
  if (!file.ok()) return;
  FUZZ_CHECK(file->fd.get() >= 0, path);
  FUZZ_CHECK(S_ISREG(file->info.st_mode), path);
  const std::string link = "/proc/self/fd/" + std::to_string(file->fd.get());
  char target[PATH_MAX];
  const ssize_t n = ::readlink(link.c_str(), target, sizeof(target));
  FUZZ_CHECK(n > 0, path);
  const std::string_view opened(target, static_cast<std::size_t>(n));
  const std::string& root = resolver.root();
  FUZZ_CHECK(opened.starts_with(root) && opened.size() > root.size() && opened[root.size()] == '/',
             path);
}

// `raw_visible`: the target held only visible ASCII, as the request parser requires before it
// calls ParseTarget; then no control byte may come out of decoding either.
void CheckDecodedPath(const std::string& path, bool raw_visible) {
  FUZZ_CHECK(!path.empty() && path.front() == '/', path);
  if (raw_visible) {
    for (char c : path) {
      FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, path);
    }
  }
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string_view segment(path.data() + start, end - start);
    FUZZ_CHECK(segment != "." && segment != "..", path);
    start = end + 1;
  }
  std::string again = path;
  RemoveDotSegments(&again);
  FUZZ_CHECK(again == path, path);
}

}  // namespace
}  // namespace corral::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::http;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Tree& tree = ServedTree();

  static ParsedTarget target;  // reused, as the parser reuses its own
  if (ParseTarget(input, &target).ok() &&
      (target.form == TargetForm::kOrigin || target.form == TargetForm::kAbsolute)) {
    const bool visible = std::all_of(input.begin(), input.end(), [](char c) {
      return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    CheckDecodedPath(target.path, visible);
    CheckResolve(tree.openat2, target.path);
    CheckResolve(tree.realpath, target.path);
  }
  // The raw input, ".." and all: containment must not depend on the decoder.
  CheckResolve(tree.openat2, input);
  CheckResolve(tree.realpath, input);
  return 0;
}
