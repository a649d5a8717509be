// HTTP/1.1 with one detached thread per connection: the same minimal answering as
// bare-epoll-http (BareAnswerHttp), in blocking reads and writes. It measures what a thread per
// connection allows on this machine, the reference for Corral's thread model.
#include <sys/socket.h>
#include <unistd.h>

#include "bench/peers/bare_common.h"

static void Serve(int fd) {
  char buf[8192];
  size_t len = 0;
  ssize_t got;
  while (len < sizeof buf && (got = read(fd, buf + len, sizeof buf - len)) > 0) {
    len += (size_t)got;
    if (BareAnswerHttp(fd, buf, &len) != 0) break;
  }
}

int main(int argc, char** argv) {
  BareThreadPerConnection(BareBind(SOCK_STREAM, BarePort(argc, argv), 0), Serve);
}
