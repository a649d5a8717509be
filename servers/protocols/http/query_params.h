#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corral::http {

// The decoded parameters of a query ("a=1&b=x+y&c=%2F&flag"), as HTML forms encode them
// (application/x-www-form-urlencoded): pairs split at '&', name and value at the first '=',
// '+' is a space and %XX a byte. Lenient where a form decoder may be: a '%' not followed by
// two hex digits stays as it is, an empty pair is skipped, a pair without '=' has the value
// "". Decoding may yield any byte, NUL included; the caller decides what it accepts.
//
// Parse() decodes everything once into one buffer sized for the whole query, so the views
// Find() returns stay valid until the next Parse() or the object's end. Not thread-safe.
class QueryParams {
 public:
  void Parse(std::string_view query);

  // The value of the first parameter named `name` (compared after decoding), or nullopt.
  std::optional<std::string_view> Find(std::string_view name) const;

  // Every (name, value) in query order.
  const std::vector<std::pair<std::string_view, std::string_view>>& all() const { return pairs_; }

 private:
  std::string decoded_;  // capacity >= the query's length, so appending never moves it
  std::vector<std::pair<std::string_view, std::string_view>> pairs_;
};

}  // namespace corral::http
