// The receive buffer of a UDP socket (ServerSpec.receive_buffer_bytes): datagrams arriving
// while it is full are dropped by the kernel (counted as ErrorKind::kDropped).
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"

namespace corral::net {

// Asks for a receive buffer of `bytes` on `socket` and returns what the kernel granted, in the
// same unit (SO_RCVBUF reads back twice the usable size: the kernel adds as much again for its
// bookkeeping; this returns half the read-back figure).
//
// SO_RCVBUF is capped at net.core.rmem_max. A caller with CAP_NET_ADMIN (root) gets the size it
// asked for through SO_RCVBUFFORCE, which ignores the cap: the spec names a size on purpose, and
// an administrator who runs servers as root may lift the system cap for one socket without
// raising it for every program. Without the capability SO_RCVBUFFORCE fails with EPERM and
// SO_RCVBUF gives min(bytes, rmem_max): not an error, the granted size says so.
// Errors: the setsockopt/getsockopt failure, as "set receive buffer: ...".
absl::StatusOr<uint32_t> SetReceiveBuffer(int socket, uint32_t bytes);

}  // namespace corral::net
