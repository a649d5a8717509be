#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace corral::http {

// The request methods Corral recognises (RFC 9110 section 9 plus PATCH, RFC 5789). A
// syntactically valid method outside this list is answered with 501 by the parser, so every
// parsed Request carries one of these.
enum class Method : unsigned char {
  kGet,
  kHead,
  kPost,
  kPut,
  kDelete,
  kConnect,
  kOptions,
  kTrace,
  kPatch,
};
inline constexpr std::size_t kMethodCount = 9;

// Maps a method token to the enum. Method names are case-sensitive (RFC 9110 9.1): "get" is
// not GET. Returns nullopt for any other token.
std::optional<Method> ParseMethod(std::string_view token);

// The canonical upper-case name, e.g. "GET". Returns a view of a static string.
std::string_view MethodName(Method method);

}  // namespace corral::http
