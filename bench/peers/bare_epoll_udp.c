// UDP echo: one blocking socket, one thread, recvfrom then sendto. (epoll adds nothing with a
// single socket; the name matches its TCP sibling.)
#include <netinet/in.h>
#include <sys/socket.h>

#include "bench/peers/bare_common.h"

int main(int argc, char** argv) {
  int fd = BareBind(SOCK_DGRAM, BarePort(argc, argv), 0);
  char buf[65536];
  for (;;) {
    struct sockaddr_storage from;
    socklen_t len = sizeof from;
    ssize_t got = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr*)&from, &len);
    if (got >= 0) sendto(fd, buf, (size_t)got, 0, (struct sockaddr*)&from, len);
  }
}
