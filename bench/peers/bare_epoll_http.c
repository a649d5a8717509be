// HTTP/1.1 on one thread with epoll: answers every request (whatever its path) with the same
// 14-byte body, keeping the connection unless the request says "Connection: close". Parsing is
// the minimum: a request ends at "\r\n\r\n"; bodies are not expected (wrk sends GETs).
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/peers/bare_common.h"

enum { kBufSize = 8192, kMaxFd = 65536 };

// Unparsed request bytes per descriptor (pipelined or split requests).
static char* pending[kMaxFd];
static size_t pending_len[kMaxFd];

static void Drop(int fd) {
  free(pending[fd]);
  pending[fd] = NULL;
  pending_len[fd] = 0;
  close(fd);
}

int main(int argc, char** argv) {
  int listener = BareBind(SOCK_STREAM, BarePort(argc, argv), 1);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) BareDie("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev) < 0) BareDie("epoll_ctl");
  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0 && errno != EINTR) BareDie("epoll_wait");
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        int c;
        while ((c = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          if (c >= kMaxFd) {
            close(c);
            continue;
          }
          pending[c] = malloc(kBufSize);
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      size_t room = kBufSize - pending_len[fd];
      ssize_t got = room == 0 ? 0 : read(fd, pending[fd] + pending_len[fd], room);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) {
        Drop(fd);
        continue;
      }
      pending_len[fd] += (size_t)got;
      if (BareAnswerHttp(fd, pending[fd], &pending_len[fd]) != 0) Drop(fd);
    }
  }
}
