#include "tests/servers/models/cap_scenario.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "servers/net/polling_stream.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {
namespace {

// Keeps the echo worker of the non-blocking `fd` busy: sends until the server, its echo
// unread, stops reading (nothing more is taken for 200 ms), so that it is blocked writing, in
// the middle of a request, not idle between two. Returns how many bytes were sent.
size_t KeepBusy(int fd) {
  const std::string chunk(64 * 1024, 'x');
  size_t sent = 0;
  for (;;) {
    ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    pollfd writable{fd, POLLOUT, 0};
    if (::poll(&writable, 1, 200) == 0) return sent;
  }
}

// Reads `count` bytes from the non-blocking `fd`; false if they do not all come within 30 s.
bool ReadBack(int fd, size_t count) {
  net::PollingStream stream(fd);
  const net::Deadline deadline = net::DeadlineAfter(std::chrono::seconds(30));
  std::string buffer(64 * 1024, '\0');
  while (count > 0) {
    absl::StatusOr<size_t> n = stream.Read(buffer.data(), std::min(buffer.size(), count), deadline);
    if (!n.ok() || *n == 0) return false;
    count -= *n;
  }
  return true;
}

}  // namespace

void ExpectCapPausesAcceptingWithoutDropping(const ServerProcess& server,
                                             const std::function<void()>& while_capped, int cap,
                                             int waiting) {
  // `cap` clients served, then kept busy (an idle connection would yield to the next client:
  // design decision 24).
  std::vector<base::UniqueFd> busy;
  for (int i = 0; i < cap; ++i) {
    busy.push_back(ConnectTcp(server.detail()));
    const std::string hello = "busy " + std::to_string(i);
    ASSERT_EQ(EchoOn(busy.back().get(), hello), hello) << i;
  }
  std::vector<size_t> sent;
  for (const base::UniqueFd& fd : busy) sent.push_back(KeepBusy(fd.get()));

  // More connect (the backlog holds them) and write, but none is served while `cap` are.
  std::vector<base::UniqueFd> more;
  std::vector<pollfd> answered;
  for (int i = 0; i < waiting; ++i) {
    more.push_back(ConnectTcp(server.detail()));
    ASSERT_TRUE(more.back());
    ASSERT_EQ(write(more.back().get(), "c", 1), 1);
    answered.push_back({more.back().get(), POLLIN, 0});
  }
  // An absence cannot be awaited: the server gets 300 ms to answer, which it would do in well
  // under a millisecond if it served past its cap.
  EXPECT_EQ(poll(answered.data(), answered.size(), 300), 0) << "served beyond the cap";
  if (while_capped) while_capped();

  // When one leaves, the waiting clients are served: stalled, never dropped (each, once
  // answered, is idle and yields to the next).
  busy.front().Reset();
  for (size_t i = 0; i < more.size(); ++i) {
    char byte = 0;
    net::PollingStream stream(more[i].get());
    absl::StatusOr<size_t> n = stream.Read(&byte, 1, net::DeadlineAfter(std::chrono::seconds(20)));
    ASSERT_TRUE(n.ok() && *n == 1) << "waiting client " << i << " was not served";
    EXPECT_EQ(byte, 'c');
  }
  // The other busy connections were never cut: each whole echo arrives, and they are served on.
  for (size_t i = 1; i < busy.size(); ++i) {
    EXPECT_TRUE(ReadBack(busy[i].get(), sent[i])) << "busy connection " << i << " was cut";
    EXPECT_EQ(EchoOn(busy[i].get(), "still"), "still") << i;
  }
}

}  // namespace corral::testing
