// TCP echo on one thread: non-blocking sockets, level-triggered epoll. A client whose echo
// cannot be written at once is closed rather than buffered: the load generator keeps one message
// in flight and the socket buffers hold it, so this never happens in the benchmark.
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/peers/bare_common.h"

static void Echo(int fd) {
  static char buf[65536];
  ssize_t got = read(fd, buf, sizeof buf);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (got <= 0 || write(fd, buf, (size_t)got) != got) close(fd);
}

int main(int argc, char** argv) {
  BareEpollLoop(BareBind(SOCK_STREAM, BarePort(argc, argv), 1), NULL, Echo);
}
