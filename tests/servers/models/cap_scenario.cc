#include "tests/servers/models/cap_scenario.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "servers/net/polling_stream.h"
#include "tests/support/socket_clients.h"

namespace corral::testing {

void ExpectCapPausesAcceptingWithoutDropping(const ServerProcess& server,
                                             const std::function<void()>& while_capped) {
  base::UniqueFd a = ConnectTcp(server.detail());
  base::UniqueFd b = ConnectTcp(server.detail());
  ASSERT_EQ(EchoOn(a.get(), "a"), "a");
  ASSERT_EQ(EchoOn(b.get(), "b"), "b");

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
  EXPECT_EQ(EchoOn(b.get(), "still"), "still");
}

}  // namespace corral::testing
