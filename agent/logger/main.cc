// corral-logger: one per server process, spawned by corral-agent with the read end of a pipe as
// stdin whose write end is the server's stdout and stderr (multilog / s6-log style). It
// timestamps each line into DIR/log, rotates by size, keeps N old files, and exits at EOF, once
// the server and all its children have closed the pipe. It runs in its own process group and
// ignores SIGTERM, SIGINT and SIGHUP, so stopping a server, or the agent dying or restarting,
// never loses the last lines; since it always reads, the server never blocks on a full pipe.
// Usage: corral-logger DIR MAX_BYTES KEEP_FILES. Exit codes: 0 at EOF, 100 usage, 111 I/O error
// on the pipe (write errors on the log are reported once on stderr and do not stop reading).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "agent/logger/rotating_log.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: corral-logger DIR MAX_BYTES KEEP_FILES\n");
    return 100;
  }
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  corral::logger::RotatingLog log(argv[1], std::strtoull(argv[2], nullptr, 10),
                                  static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)));
  bool reported = false;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::fprintf(stderr, "corral-logger: read the server's output: %s\n", std::strerror(errno));
      return 111;
    }
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    bool ok =
        n == 0 ? log.Flush(now) : log.Feed(std::string_view(buf, static_cast<size_t>(n)), now);
    if (!ok && !reported) {
      std::fprintf(stderr, "corral-logger: write %s: %s\n", log.path().c_str(),
                   std::strerror(errno));
      reported = true;
    }
    if (n == 0) return 0;
  }
}
