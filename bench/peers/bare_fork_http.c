// HTTP/1.1 with one forked process per connection: the same minimal answering as
// bare-epoll-http (BareAnswerHttp), in blocking reads and writes. It measures what forking a
// process per connection allows on this machine, the reference for Corral's fork model under
// "Connection: close".
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
  _exit(0);
}

int main(int argc, char** argv) {
  BareForkPerConnection(BareBind(SOCK_STREAM, BarePort(argc, argv), 0), Serve);
}
