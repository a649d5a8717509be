// Deadline: the one way every blocking call in corral::coro is bounded in time.
//
// A Deadline is an absolute point on the monotonic clock (std::chrono::steady_clock), so a
// value passed down through several blocking calls keeps meaning "the whole operation must be
// done by then". It converts implicitly from a relative duration (measured from the moment the
// Deadline is constructed, i.e. the call site) and from a steady_clock time point:
//
//   Read(fd, buf, n, 5s);                        // 5 seconds from now
//   Deadline d = 100ms; Read(...d); Write(...d);  // one budget for both calls
//   Read(fd, buf, n, Deadline::Never());          // wait forever (the default everywhere)
//
// A zero or negative duration is a deadline that has already passed: the call tries once and
// never parks. Thread-compatible value type.
#pragma once

#include <chrono>

namespace corral::coro {

using Clock = std::chrono::steady_clock;

class Deadline {
 public:
  // Never expires.
  constexpr Deadline() = default;
  constexpr Deadline(Clock::time_point when) : when_(when) {}  // NOLINT: implicit by design
  template <typename Rep, typename Period>
  Deadline(std::chrono::duration<Rep, Period> from_now)  // NOLINT: implicit by design
      : when_(After(from_now)) {}

  static constexpr Deadline Never() { return Deadline(); }

  constexpr bool is_never() const { return when_ == Clock::time_point::max(); }
  constexpr Clock::time_point when() const { return when_; }
  bool Expired(Clock::time_point now) const { return now >= when_; }
  bool Expired() const { return !is_never() && Expired(Clock::now()); }

  friend constexpr bool operator==(Deadline a, Deadline b) { return a.when_ == b.when_; }
  friend constexpr auto operator<=>(Deadline a, Deadline b) { return a.when_ <=> b.when_; }

 private:
  // Saturates instead of overflowing, so `Deadline(hours::max())` means "never". The comparison
  // happens in the caller's units: converting hours::max() to nanoseconds would itself overflow.
  template <typename Rep, typename Period>
  static Clock::time_point After(std::chrono::duration<Rep, Period> d) {
    using D = std::chrono::duration<Rep, Period>;
    const Clock::time_point now = Clock::now();
    if (d <= D::zero()) return now;  // already passed
    if (d >= std::chrono::duration_cast<D>(Clock::time_point::max() - now)) {
      return Clock::time_point::max();
    }
    return now + std::chrono::duration_cast<Clock::duration>(d);
  }

  Clock::time_point when_ = Clock::time_point::max();
};

}  // namespace corral::coro
