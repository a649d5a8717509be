#include "servers/protocols/http/request_target.h"

#include <cstring>

#include "base/hex.h"
#include "servers/protocols/http/char_classes.h"

namespace corral::http {
namespace {

constexpr bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// What a path may carry unencoded (RFC 3986 pchar plus '/'): unreserved, sub-delims, ':' and
// '@'. Everything else, '%' and '\' included, is percent-encoded by AppendPercentEncodedPath.
constexpr bool IsPathChar(unsigned char c) {
  return IsAlpha(static_cast<char>(c)) || IsDigit(static_cast<char>(c)) ||
         std::string_view("-._~!$&'()*+,;=:@/").find(static_cast<char>(c)) !=
             std::string_view::npos;
}

// Length of "scheme://" at the start of `target`, or 0 when it does not start with one.
std::size_t SchemePrefixLength(std::string_view target) {
  if (target.empty() || !IsAlpha(target[0])) return 0;
  std::size_t i = 1;
  while (i < target.size() && (IsAlpha(target[i]) || IsDigit(target[i]) || target[i] == '+' ||
                               target[i] == '-' || target[i] == '.')) {
    ++i;
  }
  if (target.substr(i, 3) != "://") return 0;
  return i + 3;
}

}  // namespace

absl::Status PercentDecodePath(std::string_view in, std::string* out) {
  out->clear();
  if (in.empty() || in[0] != '/') return absl::InvalidArgumentError("path does not start with /");
  out->reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '%') {
      out->push_back(c);
      continue;
    }
    int high = i + 1 < in.size() ? base::HexValue(in[i + 1]) : -1;
    int low = i + 2 < in.size() ? base::HexValue(in[i + 2]) : -1;
    if (high < 0 || low < 0) return absl::InvalidArgumentError("bad percent-escape in path");
    unsigned char decoded = static_cast<unsigned char>(high * 16 + low);
    if (decoded < 0x20 || decoded == 0x7f) {
      return absl::InvalidArgumentError("encoded control character in path");
    }
    if (decoded == '/') return absl::InvalidArgumentError("encoded slash in path");
    out->push_back(static_cast<char>(decoded));
    i += 2;
  }
  return absl::OkStatus();
}

void RemoveDotSegments(std::string* path) {
  // In place: the write index w never passes the read index r, because every segment that
  // is kept is preceded in the input by the '/' it gets in the output. The output never ends
  // in '/' until the end: each kept segment is written as "/name".
  std::string& s = *path;
  std::size_t w = 0;
  std::size_t r = 1;  // just past the leading '/'
  while (true) {
    std::size_t slash = s.find('/', r);
    bool last = slash == std::string::npos;
    std::size_t end = last ? s.size() : slash;
    std::string_view segment(s.data() + r, end - r);
    if (segment.empty() || segment == "." || segment == "..") {
      // An empty segment is skipped like ".", so a run of slashes is one: "/d///f" and
      // "//d/f" are "/d/f", one name for one file (and "//host" can never come out).
      if (segment == "..") {
        std::size_t cut = std::string_view(s.data(), w).rfind('/');
        w = cut == std::string_view::npos ? 0 : cut;
      }
      if (last) s[w++] = '/';  // "/a/b/.." names the directory "/a/", as "/a/b/" does
    } else {
      std::size_t length = segment.size();
      s[w++] = '/';
      std::memmove(s.data() + w, s.data() + r, length);
      w += length;
    }
    if (last) break;
    r = slash + 1;
  }
  s.resize(w);
}

void AppendPercentEncodedPath(std::string_view path, std::string* out) {
  for (char c : path) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (IsPathChar(byte)) {
      out->push_back(c);
    } else {
      out->push_back('%');
      out->push_back(base::kUpperHexDigits[byte >> 4]);
      out->push_back(base::kUpperHexDigits[byte & 0xf]);
    }
  }
}

absl::Status ParseTarget(std::string_view target, ParsedTarget* out) {
  out->path.clear();
  out->query = {};
  if (target.empty()) return absl::InvalidArgumentError("empty request-target");
  if (target.find('#') != std::string_view::npos) {
    return absl::InvalidArgumentError("fragment in request-target");
  }
  if (target == "*") {
    out->form = TargetForm::kAsterisk;
    return absl::OkStatus();
  }
  std::string_view path_and_query;
  if (target[0] == '/') {
    out->form = TargetForm::kOrigin;
    path_and_query = target;
  } else if (std::size_t prefix = SchemePrefixLength(target); prefix != 0) {
    out->form = TargetForm::kAbsolute;
    std::string_view rest = target.substr(prefix);
    std::size_t authority_end = rest.find_first_of("/?");
    if (authority_end == 0) return absl::InvalidArgumentError("absolute-form without authority");
    path_and_query = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  } else {
    out->form = TargetForm::kAuthority;
    return absl::OkStatus();
  }

  std::size_t question = path_and_query.find('?');
  std::string_view raw_path = path_and_query.substr(0, question);
  if (question != std::string_view::npos) out->query = path_and_query.substr(question + 1);
  if (raw_path.empty()) raw_path = "/";
  if (absl::Status status = PercentDecodePath(raw_path, &out->path); !status.ok()) return status;
  RemoveDotSegments(&out->path);
  return absl::OkStatus();
}

}  // namespace corral::http
