// TCP echo on one thread: non-blocking sockets, level-triggered epoll. A client whose echo
// cannot be written at once is closed rather than buffered: the load generator keeps one message
// in flight and the socket buffers hold it, so this never happens in the benchmark.
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/peers/bare_common.h"

int main(int argc, char** argv) {
  int listener = BareBind(SOCK_STREAM, BarePort(argc, argv), 1);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) BareDie("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev) < 0) BareDie("epoll_ctl");
  static char buf[65536];
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0 && errno != EINTR) BareDie("epoll_wait");
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        int c;
        while ((c = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      ssize_t got = read(fd, buf, sizeof buf);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0 || write(fd, buf, (size_t)got) != got) close(fd);
    }
  }
}
