#include "servers/net/address.h"

#include <gtest/gtest.h>

#include "servers/net/socket.h"
#include "servers/readiness.h"

namespace corral::net {
namespace {

TEST(AddressTest, ParsesAndPrintsIpv4AndIpv6) {
  absl::StatusOr<Address> v4 = Address::Parse("127.0.0.1:8080");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->port(), 8080);
  EXPECT_EQ(v4->ToString(), "127.0.0.1:8080");
  absl::StatusOr<Address> v6 = Address::Parse("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(v6->ToString(), "[::1]:0");
}

TEST(AddressTest, RejectsMalformed) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x", "127.0.0.1:70000",
                          "host:80", "[::1:80", "::1:80", ":80", "1.2.3:4"}) {
    absl::StatusOr<Address> a = Address::Parse(bad);
    EXPECT_FALSE(a.ok()) << bad;
    if (!a.ok()) {
      EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    }
  }
}

TEST(SocketTest, PortZeroListenerReportsItsRealPort) {
  absl::StatusOr<base::UniqueFd> fd = ListenTcp(*Address::Parse("127.0.0.1:0"));
  ASSERT_TRUE(fd.ok()) << fd.status();
  absl::StatusOr<Address> bound = LocalAddress(fd->get());
  ASSERT_TRUE(bound.ok());
  EXPECT_NE(bound->port(), 0);
  // A second listener on the same port names the cause in the agreed form.
  absl::StatusOr<base::UniqueFd> clash = ListenTcp(*bound);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().message(), "bind " + bound->ToString() + ": address already in use");
}

TEST(ReadinessTest, RoundTrips) {
  Readiness ready{true, "127.0.0.1:4000"};
  EXPECT_EQ(FormatReadiness(ready), "READY 127.0.0.1:4000\n");
  std::optional<Readiness> parsed = ParseReadiness("FAILED bind x: address in use\n");
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->ready);
  EXPECT_EQ(parsed->detail, "bind x: address in use");
  EXPECT_FALSE(ParseReadiness("garbage"));
  // A multi-line reason stays one message.
  EXPECT_EQ(FormatReadiness(Readiness{false, "a\nb"}), "FAILED a b\n");
}

}  // namespace
}  // namespace corral::net
