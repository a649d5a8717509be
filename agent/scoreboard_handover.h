// The scoreboard handover: the agent, not the server, creates each server's scoreboard file
// (HOME/servers/NAME/scoreboard, design decision 3) and hands the server a descriptor of it.
// A server may run as another user (spec field `user`), and such a user can create nothing in
// the agent's home: HOME is 0700, so it cannot even reach servers/NAME/. A descriptor needs no
// path. It also keeps the file the agent's own, so the reader's ownership check (the file
// must be the agent's) holds whoever the server runs as.
//
// The file is created unnamed (O_TMPFILE) in the server's directory, the server sizes it and
// writes its header through the descriptor, and the agent names it (link, then rename over the
// previous file) once the server has reported READY, after its header was written. So a reader
// still finds the previous file or a complete new one, never a half-written one, exactly as
// when corral-server published its own file (temp file + rename), and the previous run's final
// counts stay readable while the new process starts.
//
// Thread-safety: plain functions; the supervision loop calls them for one server at a time.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "base/unique_fd.h"

namespace corral::agent {

struct ScoreboardFile {
  base::UniqueFd fd;         // read-write, unnamed until published; hand a copy to the server
  uint64_t generation = 1;  // what the server writes: one more than the file now at the path
};

// Creates the unnamed file in the directory of `path` (which must exist). Errors name the file.
absl::StatusOr<ScoreboardFile> CreateScoreboardFile(const std::string& path);

// Gives the file of `fd` the name `path`, atomically replacing what is there.
absl::Status PublishScoreboardFile(int fd, const std::string& path);

}  // namespace corral::agent
