// MinRateDeadline: the deadline of a body (an HTTP request body, a file upload) that must keep
// up a minimum average rate, so that a client trickling a byte now and then cannot hold a
// worker for hours by re-arming a per-read timeout (slowloris on the body, "slow POST").
//
// Why a rate rather than a total deadline or a timeout between reads: a timeout between reads
// (nginx's client_body_timeout) is what a one-byte trickle defeats; a total deadline cuts a
// large upload on a slow but honest link; a minimum rate (Apache mod_reqtimeout's
// body=...,MinRate=...) bounds the trickle and lets any body through that keeps the pace. The
// body may take `grace` plus one second per `min_bytes_per_second` bytes received so far: a
// client sending r bytes/s below that rate is cut after grace / (1 - r / min_bytes_per_second),
// about `grace` for a trickle; the body's size limit bounds the rest.
//
// A value type; one connection's worker uses it.
#pragma once

#include <chrono>
#include <cstdint>

#include "servers/net/stream.h"

namespace corral::net {

// The protocols' options start from the spec's defaults (spec/spec_defaults.h); zero here is
// "no rule".
struct BodyRate {
  // How long a body may take before its rate counts.
  std::chrono::milliseconds grace{0};
  // The pace it must keep on average from its start; 0 turns the rule off (only the idle
  // timeout of each read then bounds a body).
  uint64_t min_bytes_per_second = 0;
};

class MinRateDeadline {
 public:
  // A body that starts now.
  explicit MinRateDeadline(const BodyRate& rate, Clock::time_point start = Clock::now())
      : rate_(rate), start_(start) {}

  // `bytes` more of the body arrived.
  void Add(uint64_t bytes) { received_ += bytes; }

  // When the body, at what has arrived so far, falls below the rate; max() with no rule.
  Deadline deadline() const {
    if (rate_.min_bytes_per_second == 0) return Deadline::max();
    const auto earned = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
        static_cast<double>(received_) / static_cast<double>(rate_.min_bytes_per_second)));
    return start_ + rate_.grace + earned;
  }

  // The deadline of one read of the body: the rate's, or `per_read` from now if sooner.
  Deadline NextRead(std::chrono::milliseconds per_read) const {
    return std::min(deadline(), DeadlineAfter(per_read));
  }
  // Whether `read_deadline` (from NextRead) was the rate's rather than the per-read timeout.
  bool IsRateDeadline(Deadline read_deadline) const { return read_deadline == deadline(); }

 private:
  BodyRate rate_;
  Clock::time_point start_;
  uint64_t received_ = 0;
};

}  // namespace corral::net
