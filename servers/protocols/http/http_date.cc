#include "servers/protocols/http/http_date.h"

#include <array>
#include <cstdint>

#include "servers/protocols/http/char_classes.h"

namespace corral::http {
namespace {

constexpr std::array<std::string_view, 7> kShortDays = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr std::int64_t kSecondsPerDay = 86400;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm); pure
// arithmetic, so no dependence on the process's TZ or locale.
std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

void WriteDigits(char* out, int value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

// A cursor over the date text; every Consume* returns false on mismatch.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool Literal(std::string_view literal) {
    if (text_.substr(0, literal.size()) != literal) return false;
    text_.remove_prefix(literal.size());
    return true;
  }

  // Exactly `width` digits.
  bool Number(int width, int* value) {
    if (text_.size() < static_cast<std::size_t>(width)) return false;
    int result = 0;
    for (int i = 0; i < width; ++i) {
      if (!IsDigit(text_[i])) return false;
      result = result * 10 + (text_[i] - '0');
    }
    text_.remove_prefix(width);
    *value = result;
    return true;
  }

  template <std::size_t N>
  bool OneOf(const std::array<std::string_view, N>& names, int* index) {
    for (std::size_t i = 0; i < N; ++i) {
      if (Literal(names[i])) {
        *index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }

  bool Time(int* hour, int* minute, int* second) {
    return Number(2, hour) && Literal(":") && Number(2, minute) && Literal(":") &&
           Number(2, second);
  }

  bool AtEnd() const { return text_.empty(); }

 private:
  std::string_view text_;
};

std::optional<std::time_t> ToTime(int year, int month, int day, int hour, int minute, int second) {
  // Second 60 is allowed for a leap second and folds into the next minute, like timegm.
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return static_cast<std::time_t>(days * kSecondsPerDay + hour * 3600 + minute * 60 + second);
}

}  // namespace

void FormatHttpDate(std::time_t seconds, char (&out)[kHttpDateLength]) {
  std::int64_t days = static_cast<std::int64_t>(seconds) / kSecondsPerDay;
  std::int64_t rest = static_cast<std::int64_t>(seconds) % kSecondsPerDay;
  if (rest < 0) {
    rest += kSecondsPerDay;
    --days;
  }
  // Inverse of DaysFromCivil.
  std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned day_of_era = static_cast<unsigned>(z - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  std::int64_t year = static_cast<std::int64_t>(year_of_era) + era * 400;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  year += month <= 2;
  // 1970-01-01 was a Thursday (index 4).
  int weekday = static_cast<int>(((days % 7) + 11) % 7);
  if (year < 0) year = 0;
  if (year > 9999) year = 9999;

  char* p = out;
  std::string_view day_name = kShortDays[weekday];
  std::string_view month_name = kMonths[month - 1];
  p[0] = day_name[0], p[1] = day_name[1], p[2] = day_name[2], p[3] = ',', p[4] = ' ';
  WriteDigits(p + 5, static_cast<int>(day), 2);
  p[7] = ' ';
  p[8] = month_name[0], p[9] = month_name[1], p[10] = month_name[2], p[11] = ' ';
  WriteDigits(p + 12, static_cast<int>(year), 4);
  p[16] = ' ';
  WriteDigits(p + 17, static_cast<int>(rest / 3600), 2);
  p[19] = ':';
  WriteDigits(p + 20, static_cast<int>(rest / 60 % 60), 2);
  p[22] = ':';
  WriteDigits(p + 23, static_cast<int>(rest % 60), 2);
  p[25] = ' ', p[26] = 'G', p[27] = 'M', p[28] = 'T';
}

std::string FormatHttpDate(std::time_t seconds) {
  char buffer[kHttpDateLength];
  FormatHttpDate(seconds, buffer);
  return std::string(buffer, kHttpDateLength);
}

std::optional<std::time_t> ParseHttpDate(std::string_view text) {
  int weekday, day, month, year, hour, minute, second;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  {
    Cursor c(text);
    if (c.OneOf(kShortDays, &weekday) && c.Literal(", ") && c.Number(2, &day) && c.Literal(" ") &&
        c.OneOf(kMonths, &month) && c.Literal(" ") && c.Number(4, &year) && c.Literal(" ") &&
        c.Time(&hour, &minute, &second) && c.Literal(" GMT") && c.AtEnd()) {
      return ToTime(year, month + 1, day, hour, minute, second);
    }
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT".
  {
    Cursor c(text);
    if (c.OneOf(kLongDays, &weekday) && c.Literal(", ") && c.Number(2, &day) && c.Literal("-") &&
        c.OneOf(kMonths, &month) && c.Literal("-") && c.Number(2, &year) && c.Literal(" ") &&
        c.Time(&hour, &minute, &second) && c.Literal(" GMT") && c.AtEnd()) {
      return ToTime(year < 70 ? 2000 + year : 1900 + year, month + 1, day, hour, minute, second);
    }
  }
  // asctime: "Sun Nov  6 08:49:37 1994" (the day is space-padded).
  {
    Cursor c(text);
    if (c.OneOf(kShortDays, &weekday) && c.Literal(" ") && c.OneOf(kMonths, &month) &&
        c.Literal(" ")) {
      bool day_ok = c.Literal(" ") ? c.Number(1, &day) : c.Number(2, &day);
      if (day_ok && c.Literal(" ") && c.Time(&hour, &minute, &second) && c.Literal(" ") &&
          c.Number(4, &year) && c.AtEnd()) {
        return ToTime(year, month + 1, day, hour, minute, second);
      }
    }
  }
  return std::nullopt;
}

std::string_view CachedHttpDate(std::time_t now) {
  struct Cache {
    std::time_t second = -1;
    bool valid = false;
    char text[kHttpDateLength];
  };
  thread_local Cache cache;
  if (!cache.valid || cache.second != now) {
    FormatHttpDate(now, cache.text);
    cache.second = now;
    cache.valid = true;
  }
  return std::string_view(cache.text, kHttpDateLength);
}

std::string_view CurrentHttpDate() { return CachedHttpDate(std::time(nullptr)); }

}  // namespace corral::http
