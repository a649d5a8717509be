// Socket recovery after an agent restart (issue 22 item 6): a new agent that adopts a running
// server has no copy of the sockets the previous agent held (they died with it); the adopted
// process still has them. pidfd_getfd(2) copies a descriptor out of another process, so the new
// agent takes its own copies back and a later restart or reload hands the same sockets on, with
// no gap in which clients are refused.
//
// pidfd_getfd needs ptrace access to the process (PTRACE_MODE_ATTACH_REALCREDS): the same uid,
// or CAP_SYS_PTRACE (root), and no Yama restriction that forbids attaching to a non-descendant
// (kernel.yama.ptrace_scope >= 1 without CAP_SYS_PTRACE). Without it recovery fails (EPERM) and
// the agent falls back to binding the same addresses again once the adopted processes are gone.
//
// Thread-safety: plain functions; the supervision loop calls them.
#pragma once

#include <sys/types.h>

#include <vector>

#include "absl/status/statusor.h"
#include "agent/listen_sockets.h"
#include "corral/v1/server.pb.h"

namespace corral::agent {

// pidfd_getfd(2): a close-on-exec copy of descriptor `target_fd` of the process of `pidfd`, or
// -1 with errno set.
int PidfdGetFd(int pidfd, int target_fd);

// Copies of the sockets `wanted` (resolved addresses, in hand-over order) out of the process
// `pid` (`pidfd` its pidfd): each is the process's descriptor that is a socket of the same kind
// (listening TCP, or UDP) bound to the same address, wherever the process moved it. All or
// nothing; the error names the address not found or the call that failed.
absl::StatusOr<std::vector<HeldSocket>> RecoverSockets(pid_t pid, int pidfd,
                                                       const std::vector<v1::ListenSocket>& wanted);

}  // namespace corral::agent
