#pragma once

#include <cstddef>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

// HTTP-date (RFC 9110 5.6.7) formatting and parsing, and the per-thread cache behind the
// Date header. Times are seconds since the Unix epoch, UTC.
namespace corral::http {

// Length of an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT".
inline constexpr std::size_t kHttpDateLength = 29;

// Writes the IMF-fixdate of `seconds` into out[0..28] (no terminating NUL). Years outside
// 0..9999 are clamped to that range, since the format has four digits.
void FormatHttpDate(std::time_t seconds, char (&out)[kHttpDateLength]);
std::string FormatHttpDate(std::time_t seconds);

// Parses an HTTP-date in any of the three formats a recipient must accept: IMF-fixdate,
// RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT", two-digit years 70..99 are 19xx and 00..69 are
// 20xx) and asctime ("Sun Nov  6 08:49:37 1994"). The weekday name is checked for spelling,
// not against the date. Returns nullopt for anything else, including an impossible date such
// as Feb 30, which callers then treat as an absent header, as RFC 9110 13.1.3 requires.
std::optional<std::time_t> ParseHttpDate(std::string_view text);

// The IMF-fixdate of `now`, formatted at most once per second per thread: the result points
// into a thread_local buffer, so any number of threads may call it without locking. The view
// stays valid for the calling thread until its next call; copy it before then.
std::string_view CachedHttpDate(std::time_t now);

// CachedHttpDate(std::time(nullptr)).
std::string_view CurrentHttpDate();

}  // namespace corral::http
