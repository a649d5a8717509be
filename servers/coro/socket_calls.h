// Cooperative socket calls: blocking-style I/O that parks the greenlet instead of the thread.
//
// Each call tries its syscall first; on EAGAIN it parks the current greenlet on the hub until the
// descriptor is ready or `deadline` passes, then tries again. That is what makes a handler
// written in blocking style cooperative. Descriptors must be in non-blocking mode (O_NONBLOCK;
// Accept returns its new descriptors that way, with CLOEXEC); the Recv/Send family also passes
// MSG_DONTWAIT. At most one greenlet may wait to read, and one to write, a descriptor at a time.
//
// Close with Close() (below), not close(2), every descriptor these calls may have waited on: the
// hub keeps it registered with epoll between waits and must forget it before its number is
// reused. (Accept and Connect forget the numbers of the sockets they are given or return, so a
// connection is safe even if an earlier holder of its number was closed with close(2).)
//
// Results (absl::Status / StatusOr):
//   - OK with a byte count; for Read/Recv/RecvFrom, 0 means end of file (peer closed), except
//     that a 0-byte datagram or a 0-length request also yields 0.
//   - DeadlineExceeded: `deadline` passed before the call could complete. Only this. (The kernel's
//     own ETIMEDOUT is reported as Unavailable, so the two cannot be confused.)
//   - any other code: the syscall failed; the message is "<call> fd N: <strerror>" and
//     ErrnoOf(status) returns the errno. EINTR is retried, never returned.
//   - FailedPrecondition: another greenlet already waits on the same descriptor and direction.
// Kill and Timeout are not statuses here: they surface as GreenletExit / TimeoutExpired
// exceptions thrown out of the call while it is parked (the runtime's greenlet semantics).
// Handler code uses the status forms instead (nothrow.h), which return CANCELLED /
// DEADLINE_EXCEEDED. Data already transferred by WriteAll/SendAll before
// an error or deadline is reported through the optional `done` out-parameter.
//
// Thread affinity: call from a greenlet on a hub thread (the root greenlet counts).
#pragma once

#include <sys/socket.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "servers/coro/deadline.h"

namespace corral::coro {

// Accepts one connection; returns the new descriptor (non-blocking, CLOEXEC). Connections the
// peer aborted before accept (ECONNABORTED, EPROTO) are skipped. Out of descriptors or memory
// (EMFILE, ENFILE, ENOBUFS, ENOMEM) is ResourceExhausted: the caller must back off (sleep,
// or shed a connection) rather than call again at once, or it spins.
absl::StatusOr<int> Accept(int listen_fd, Deadline deadline = {}, sockaddr_storage* peer = nullptr,
                           socklen_t* peer_len = nullptr);

// Connects a non-blocking socket. On DeadlineExceeded the attempt is left in progress: close fd.
absl::Status Connect(int fd, const sockaddr* addr, socklen_t addr_len, Deadline deadline = {});

// Up to `len` bytes, as soon as any are available. read(2) / recv(2).
absl::StatusOr<size_t> Read(int fd, void* buf, size_t len, Deadline deadline = {});
absl::StatusOr<size_t> Recv(int fd, void* buf, size_t len, Deadline deadline = {}, int flags = 0);
// Recv for a TCP socket that request-response traffic reads: a read that returns less than
// `len` leaves nothing behind that no edge will announce, which the hub remembers, so the next
// call parks until the next edge instead of first paying a recv that would fail with EAGAIN.
// Urgent data and the end of the stream, after which a short read proves nothing, announce
// themselves and are handled (poller.h). Not for datagram sockets (a short read leaves later
// datagrams queued), ttys, or Unix sockets whose peer is not trusted (a read stops short at a
// message carrying descriptors, which nothing announces). `fd` must come from Accept or Connect,
// or its number's previous holder must have been closed with Close: a stale registration would
// otherwise park even the first read for an edge that never comes.
absl::StatusOr<size_t> RecvStream(int fd, void* buf, size_t len, Deadline deadline = {});

// All `len` bytes, or an error. write(2) / send(2) (send with MSG_NOSIGNAL: a closed peer gives
// EPIPE, not SIGPIPE; WriteAll on a socket can raise SIGPIPE, so prefer SendAll there).
absl::Status WriteAll(int fd, const void* buf, size_t len, Deadline deadline = {},
                      size_t* done = nullptr);
absl::Status SendAll(int fd, const void* buf, size_t len, Deadline deadline = {},
                     size_t* done = nullptr);

// One datagram. `from`/`from_len` may be null; if given, *from_len is set to the address size.
absl::StatusOr<size_t> RecvFrom(int fd, void* buf, size_t len, sockaddr_storage* from,
                                socklen_t* from_len, Deadline deadline = {});
absl::StatusOr<size_t> SendTo(int fd, const void* buf, size_t len, const sockaddr* to,
                              socklen_t to_len, Deadline deadline = {});

// Every datagram already queued, up to `count` of them, in one recvmmsg(2); parks only while
// none is. Returns how many were received (>= 1), each described in its message as recvmmsg
// leaves it: msg_len its size, msg_hdr.msg_namelen its sender's address size (on entry, each
// msg_namelen must hold its msg_name's capacity). A batch that stops short does not mean the
// queue was empty: a pending error also ends it, and is reported by the next call.
absl::StatusOr<size_t> RecvMany(int fd, mmsghdr* messages, unsigned count, Deadline deadline = {});

// Park until fd is readable / writable (or has an error or hang-up pending); return at once if
// it is now. OK or DeadlineExceeded (or FailedPrecondition / an epoll_ctl error, see above).
absl::Status WaitReadable(int fd, Deadline deadline = {});
absl::Status WaitWritable(int fd, Deadline deadline = {});
// The same, for a caller whose own syscall on fd just failed with EAGAIN, with no blocking point
// since: parks without first asking poll(2) whether fd is ready (it is known not to be).
absl::Status WaitReadableAfterEagain(int fd, Deadline deadline = {});
absl::Status WaitWritableAfterEagain(int fd, Deadline deadline = {});

// Closes fd, first making this thread's hub forget its epoll registration. Use it instead of
// close(2) for every descriptor a greenlet of this thread may have waited on: the hub keeps
// descriptors registered between waits, and would otherwise never wake a greenlet waiting on a
// new descriptor that got the same number. No greenlet may still be waiting on fd. OK for
// fd < 0; EINTR counts as closed (Linux releases the descriptor anyway); other errors as above.
absl::Status Close(int fd);

// The errno a failed call reported, or 0 if `status` did not come from a syscall.
int ErrnoOf(const absl::Status& status);

}  // namespace corral::coro
