#include "servers/protocols/http/method.h"

#include <array>

namespace corral::http {
namespace {

// Indexed by the enum value; the order must match the enum declaration.
constexpr std::array<std::string_view, kMethodCount> kNames = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
};

}  // namespace

std::optional<Method> ParseMethod(std::string_view token) {
  // Nine entries: a linear scan beats hashing, and GET (the common case) is first.
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == token) return static_cast<Method>(i);
  }
  return std::nullopt;
}

std::string_view MethodName(Method method) { return kNames[static_cast<std::size_t>(method)]; }

}  // namespace corral::http
