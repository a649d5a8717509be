// corral_conn, the opaque object of handler.h, as the host defines it: one TCP connection a
// plugin's serve_stream serves, or one datagram its serve_datagram handles. Made on the worker's
// stack by StreamHandler / DatagramHandler for the length of that one call, and used only by that
// worker (the stream calls are not thread-safe, as net::Stream is not).
#pragma once

#include <cstddef>
#include <memory>

#include "corral/handler.h"
#include "servers/net/datagram_sender.h"
#include "servers/net/stream.h"
#include "servers/protocols/datagram_protocol.h"
#include "servers/stats/slot_writer.h"

struct corral_conn {
  // Exactly one of the two is set: `stream` for serve_stream, `datagram` (+ `sender`) for
  // serve_datagram. Neither is owned.
  corral::net::Stream* stream = nullptr;
  const corral::protocols::Datagram* datagram = nullptr;
  corral::net::DatagramSender* sender = nullptr;
  // The worker's scoreboard slot, or null when the server keeps no stats.
  corral::stats::SlotWriter* stats = nullptr;

  // Set by the handler's first count_request: the host then does not count the connection as
  // one request when serve_stream returns.
  bool handler_counts = false;
  // Sticky once a call returned CORRAL_CANCELLED: every later call returns it at once.
  bool cancelled = false;
  // read_line: a line longer than the caller's buffer is being skipped up to its "\n".
  bool skipping_line = false;

  // Bytes read from the stream past what a read_line returned: the next read call takes them
  // first. `pending[pending_begin, pending_end)` is valid, of `pending_capacity`; allocated at
  // the first read_line, so a handler that only calls read and write never pays for it.
  std::unique_ptr<char[]> pending;
  size_t pending_capacity = 0;
  size_t pending_begin = 0;
  size_t pending_end = 0;

  size_t pending_size() const { return pending_end - pending_begin; }
};
