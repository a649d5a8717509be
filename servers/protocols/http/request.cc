#include "servers/protocols/http/request.h"

#include "servers/protocols/http/char_classes.h"
#include "servers/protocols/http/text_util.h"

namespace corral::http {

std::optional<std::string_view> Request::FindHeader(std::string_view name) const {
  for (const Header& header : headers) {
    if (EqualsIgnoreCase(header.name, name)) return header.value;
  }
  return std::nullopt;
}

bool Request::HasHeaderToken(std::string_view name, std::string_view token) const {
  for (const Header& header : headers) {
    if (EqualsIgnoreCase(header.name, name) && ListContainsToken(header.value, token)) {
      return true;
    }
  }
  return false;
}

bool ListContainsToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view element = TrimWhitespace(list.substr(0, comma));
    if (EqualsIgnoreCase(element, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace corral::http
