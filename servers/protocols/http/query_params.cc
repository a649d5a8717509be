#include "servers/protocols/http/query_params.h"

#include "base/hex.h"

namespace corral::http {
namespace {

// Appends the form-decoded `text` to *out (which has room for it) and returns a view of it.
std::string_view AppendDecoded(std::string_view text, std::string* out) {
  const std::size_t start = out->size();
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out->push_back(' ');
      continue;
    }
    const int high = c == '%' && i + 2 < text.size() ? base::HexValue(text[i + 1]) : -1;
    const int low = high >= 0 ? base::HexValue(text[i + 2]) : -1;
    if (low >= 0) {
      out->push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return std::string_view(out->data() + start, out->size() - start);
}

}  // namespace

void QueryParams::Parse(std::string_view query) {
  decoded_.clear();
  pairs_.clear();
  // Decoding never lengthens a piece, so with this capacity no append reallocates and every
  // view taken below stays valid.
  decoded_.reserve(query.size());
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string_view name = AppendDecoded(pair.substr(0, eq), &decoded_);
    std::string_view value = eq == std::string_view::npos
                                 ? std::string_view(decoded_.data() + decoded_.size(), 0)
                                 : AppendDecoded(pair.substr(eq + 1), &decoded_);
    pairs_.emplace_back(name, value);
  }
}

std::optional<std::string_view> QueryParams::Find(std::string_view name) const {
  for (const auto& [key, value] : pairs_) {
    if (key == name) return value;
  }
  return std::nullopt;
}

}  // namespace corral::http
