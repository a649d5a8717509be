// TCP echo with one forked process per connection (BareForkPerConnection).
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/peers/bare_common.h"

static void Serve(int fd) {
  char buf[16384];
  ssize_t got;
  while ((got = read(fd, buf, sizeof buf)) > 0) {
    for (char* p = buf; got > 0;) {
      ssize_t w = write(fd, p, (size_t)got);
      if (w <= 0) _exit(0);
      p += w;
      got -= w;
    }
  }
  _exit(0);
}

int main(int argc, char** argv) {
  BareForkPerConnection(BareBind(SOCK_STREAM, BarePort(argc, argv), 0), Serve);
}
