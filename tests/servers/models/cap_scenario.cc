#include "tests/servers/models/cap_scenario.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

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
                                             const std::function<void()>& while_capped) {
  base::UniqueFd a = ConnectTcp(server.detail());
  base::UniqueFd b = ConnectTcp(server.detail());
  ASSERT_EQ(EchoOn(a.get(), "a"), "a");
  ASSERT_EQ(EchoOn(b.get(), "b"), "b");
  // Both workers busy (an idle connection would yield to the third client: design decision 24).
  KeepBusy(a.get());
  const size_t b_sent = KeepBusy(b.get());

  // The third connects (the backlog holds it) but is not served while two are.
  base::UniqueFd c = ConnectTcp(server.detail());
  ASSERT_TRUE(c);
  ASSERT_EQ(write(c.get(), "c", 1), 1);
  // An absence cannot be awaited: the server gets 300 ms to answer, which it would do in well
  // under a millisecond if it served past its cap.
  pollfd answered{c.get(), POLLIN, 0};
  EXPECT_EQ(poll(&answered, 1, 300), 0) << "served beyond the cap";
  char byte;
  if (while_capped) while_capped();

  // When one leaves, the waiting client is served: stalled, never dropped.
  a.Reset();
  net::PollingStream stream(c.get());
  absl::StatusOr<size_t> n = stream.Read(&byte, 1, net::DeadlineAfter(std::chrono::seconds(20)));
  ASSERT_TRUE(n.ok() && *n == 1) << "the waiting client was not served";
  EXPECT_EQ(byte, 'c');
  // The busy connection was never cut: its whole echo arrives, and it is served on.
  EXPECT_TRUE(ReadBack(b.get(), b_sent)) << "the busy connection was cut";
  EXPECT_EQ(EchoOn(b.get(), "still"), "still");
}

}  // namespace corral::testing
