#include "servers/protocols/tcp_echo.h"

#include "servers/stats/slot_writer.h"

namespace corral::protocols {

void TcpEcho::Serve(net::Stream& stream) const {
  // 16 KiB: a whole typical segment burst in one read, small enough for a coroutine stack.
  char buffer[16 * 1024];
  stats::SlotWriter* const stats = stats::SlotOf(stream.accounting());
  for (;;) {
    // Every read waits for a next request: while clients wait for this worker, an idle
    // connection ends (Stream::ReadNext) and the worker takes one of them.
    absl::StatusOr<size_t> n =
        stream.ReadNext(buffer, sizeof buffer, net::DeadlineAfter(options_.idle_timeout));
    if (!n.ok() || *n == 0) return;
    // A request is one read echoed back; its latency runs from the read to the written echo.
    auto start = stats ? net::Clock::now() : net::Clock::time_point();
    // The peer gets as long to take the echo as it had to send it.
    if (!stream.WriteAll(buffer, *n, net::DeadlineAfter(options_.idle_timeout)).ok()) return;
    if (stats) {
      stats->OnRequest(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(net::Clock::now() - start).count()));
    }
  }
}

}  // namespace corral::protocols
