#include "servers/handler/stream_handler.h"

#include <chrono>

#include "servers/handler/handler_conn.h"

namespace corral::handler {

void StreamHandler::Serve(net::Stream& stream) const {
  const net::Deadline start = net::Clock::now();
  corral_conn conn;
  conn.stream = &stream;
  conn.stats = stats::SlotOf(stream.accounting());
  plugin_.serve_stream()(plugin_.state(), &conn);
  if (conn.stats != nullptr && !conn.handler_counts) {
    conn.stats->OnRequest(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(net::Clock::now() - start).count()));
  }
}

}  // namespace corral::handler
