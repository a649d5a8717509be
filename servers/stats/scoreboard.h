#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "servers/stats/layout.h"
#include "servers/stats/mapped_region.h"
#include "servers/stats/slot_writer.h"
#include "servers/stats/worker_state.h"

namespace corral::stats {

struct ScoreboardOptions {
  std::string path;         // e.g. $HOME_DIR/servers/NAME/scoreboard; the directory must exist
  uint32_t slot_count = 0;  // workers that can be live at once: processes, threads or hubs
  std::string protocol;     // shown by the agent; at most 31 bytes
  std::string model;        // likewise
  // 0: one more than the valid scoreboard already at `path`, or 1 if there is none.
  uint64_t generation = 0;
  uint32_t worker_cap = 0;  // the spec's max_workers, shown as the workers' cap; 0: unknown
  // -1: create the file at `path` (temp file + rename). Otherwise an empty regular file opened
  // read-write by whoever will name it (the agent: see agent/scoreboard_handover.h); Create
  // fills it in through this descriptor, closes it, and publishes nothing (`path` then only
  // names the file in errors).
  int fd = -1;
};

// The writer side of a scoreboard: creates the file and owns the read-write MAP_SHARED mapping.
//
// Created once by corral-server before it forks or starts threads; forked children inherit the
// mapping (and this object's copy, which they may use to claim their own slot). The file is
// published atomically (temp file + rename), so a reader never sees a half-initialised one, and
// it stays on disk when the server exits so the agent can read the final counts.
//
// Thread safety: ClaimSlot(), ReclaimSlotsOf() and listener calls may run concurrently from any
// thread of any process sharing the mapping. Move-only.
class Scoreboard {
 public:
  static absl::StatusOr<Scoreboard> Create(const ScoreboardOptions& options);

  // Claims a free slot for the calling thread (owner word = getpid(), gettid()). Lock-free: a
  // CAS on each slot's owner word, so concurrent claims from several processes get distinct
  // slots. ResourceExhausted when every slot is owned.
  absl::StatusOr<SlotWriter> ClaimSlot();

  // Frees every slot still owned by `pid` (a child that died without releasing) and returns how
  // many. Call only once `pid` has been reaped: a live owner would keep writing into a slot that
  // someone else may then claim. Counts are kept; the next owner adds to them. `crashed`: the
  // child died of a signal of its own (a handler's SIGSEGV), so each slot it was serving a client
  // in counts that as a protocol error and the connection as closed (its close was never
  // counted), written by the caller in place of the dead owner.
  int ReclaimSlotsOf(pid_t pid, bool crashed = false);

  // Server-wide counters, for acceptors (fetch_add: any thread, any process).
  void SetListenerState(ListenerState state);
  void OnRefusedAtCap();
  void OnRefusedPerClient();
  // A greenlet held its hub past the stall bound (coroutine model; any thread).
  void OnStall();
  void OnAcceptError();
  // UDP (see SocketDropsEntry): the entry of the socket with inode `socket`, claimed with
  // `drops_now` as its starting count if it has none yet; -1 when every entry is taken.
  int RegisterDropSocket(uint64_t socket, uint64_t drops_now);
  // The socket of `entry` had dropped `cumulative` datagrams, as a datagram's SO_RXQ_OVFL
  // control message said (any thread or process; a CAS only when the count grew).
  void OnKernelDrops(int entry, uint64_t cumulative);

  const std::string& path() const { return path_; }
  uint32_t slot_count() const { return header()->slot_count; }
  uint64_t generation() const { return header()->generation; }

 private:
  Scoreboard(std::string path, MappedRegion region)
      : path_(std::move(path)), region_(std::move(region)) {}
  ScoreboardHeader* header() const { return static_cast<ScoreboardHeader*>(region_.data()); }
  SlotLayout* slot(uint32_t i) const;

  std::string path_;
  MappedRegion region_;
};

}  // namespace corral::stats
