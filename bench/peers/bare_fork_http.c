// HTTP/1.1 with one forked process per connection: the same minimal answering as
// bare-epoll-http (BareAnswerHttp), in blocking reads and writes. It measures what forking a
// process per connection allows on this machine, the reference for Corral's fork model under
// "Connection: close".
#include <unistd.h>

#include "bench/peers/bare_common.h"

static void Serve(int fd) {
  BareServeHttpBlocking(fd);
  _exit(0);
}

int main(int argc, char** argv) {
  BareForkPerConnection(BareBind(SOCK_STREAM, BarePort(argc, argv), 0), Serve);
}
