// HTTP/1.1 with one detached thread per connection: the same minimal answering as
// bare-epoll-http (BareAnswerHttp), in blocking reads and writes. It measures what a thread per
// connection allows on this machine, the reference for Corral's thread model.
#include <sys/socket.h>

#include "bench/peers/bare_common.h"

int main(int argc, char** argv) {
  BareThreadPerConnection(BareBind(SOCK_STREAM, BarePort(argc, argv), 0), BareServeHttpBlocking);
}
