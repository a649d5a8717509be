#include "agent/listen_sockets.h"

#include "absl/strings/str_join.h"
#include "servers/net/address.h"
#include "servers/net/receive_buffer.h"
#include "servers/net/socket.h"
#include "servers/server_kinds.h"
#include "spec/spec_kinds.h"

namespace corral::agent {

std::vector<v1::ListenSocket> RequestedSockets(const v1::ServerSpec& spec) {
  std::vector<v1::ListenSocket> wanted;
  if (!spec.listen().empty()) {
    v1::ListenSocket first;
    first.set_name("listen");
    first.set_address(spec.listen());
    // udp-echo and a udp handler plugin receive datagrams; every other protocol listens.
    const std::optional<ProtocolKind> kind = spec::ProtocolFromProto(spec.protocol());
    first.set_udp(kind.has_value() && IsDatagramProtocol(*kind));
    if (first.udp()) first.set_receive_buffer_bytes(spec.receive_buffer_bytes());
    wanted.push_back(std::move(first));
  }
  for (const v1::ListenSocket& socket : spec.sockets()) wanted.push_back(socket);
  return wanted;
}

absl::StatusOr<std::vector<HeldSocket>> BindSockets(const std::vector<v1::ListenSocket>& wanted) {
  std::vector<HeldSocket> held;
  for (const v1::ListenSocket& socket : wanted) {
    absl::StatusOr<net::Address> address = net::Address::Parse(socket.address());
    if (!address.ok()) return address.status();
    absl::StatusOr<base::UniqueFd> fd =
        socket.udp() ? net::BindUdp(*address) : net::ListenTcp(*address);
    if (!fd.ok()) return fd.status();
    // Set where the socket is made: it outlives every process of the server.
    if (socket.udp() && socket.receive_buffer_bytes() > 0) {
      absl::StatusOr<uint32_t> set =
          net::SetReceiveBuffer(fd->get(), socket.receive_buffer_bytes());
      if (!set.ok()) return set.status();
    }
    absl::StatusOr<net::Address> bound = net::LocalAddress(fd->get());
    if (!bound.ok()) return bound.status();
    HeldSocket entry{socket, *std::move(fd)};
    entry.socket.set_address(bound->ToString());
    held.push_back(std::move(entry));
  }
  return held;
}

std::string ListenFdNames(const std::vector<HeldSocket>& sockets) {
  return absl::StrJoin(sockets, ":", [](std::string* out, const HeldSocket& held) {
    out->append(held.socket.name());
  });
}

}  // namespace corral::agent
