// TCP echo with one detached thread per connection and blocking I/O.
#include <sys/socket.h>
#include <unistd.h>

#include "bench/peers/bare_common.h"

static int WriteAll(int fd, const char* p, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, (size_t)n);
    if (w <= 0) return -1;
    p += w;
    n -= w;
  }
  return 0;
}

static void Serve(int fd) {
  char buf[16384];
  ssize_t got;
  while ((got = read(fd, buf, sizeof buf)) > 0 && WriteAll(fd, buf, got) == 0) {
  }
}

int main(int argc, char** argv) {
  BareThreadPerConnection(BareBind(SOCK_STREAM, BarePort(argc, argv), 0), Serve);
}
