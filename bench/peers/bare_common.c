#include "bench/peers/bare_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

void BareDie(const char* what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(111);
}

int BarePort(int argc, char** argv) {
  char* end = NULL;
  long port = argc == 2 ? strtol(argv[1], &end, 10) : -1;
  if (argc != 2 || *end != '\0' || port < 0 || port > 65535) {
    fprintf(stderr, "usage: %s PORT   (0 picks a free port)\n", argv[0]);
    exit(100);
  }
  return (int)port;
}

int BareBind(int type, int port, int nonblocking) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) BareDie("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) BareDie("bind");
  // A large backlog so the 10,000-connection workloads are limited by the server, not SYN drops.
  if (type == SOCK_STREAM && listen(fd, 4096) < 0) BareDie("listen");
  socklen_t len = sizeof addr;
  if (getsockname(fd, (struct sockaddr*)&addr, &len) < 0) BareDie("getsockname");
  printf("%d\n", ntohs(addr.sin_port));
  fflush(stdout);
  return fd;
}

void BareForkPerConnection(int listener, void (*serve)(int fd)) {
  signal(SIGCHLD, SIG_IGN);
  for (;;) {
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;
    if (fork() == 0) {
      close(listener);
      serve(c);
    }
    close(c);
  }
}

struct BareThreadStart {
  void (*serve)(int fd);
  int fd;
};

static void* BareThreadMain(void* arg) {
  struct BareThreadStart start = *(struct BareThreadStart*)arg;
  free(arg);
  start.serve(start.fd);
  close(start.fd);
  return NULL;
}

void BareThreadPerConnection(int listener, void (*serve)(int fd)) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);  // A small stack is all the servers need.
  for (;;) {
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;  // EINTR, ECONNABORTED, EMFILE: the benchmark just retries.
    struct BareThreadStart* start = malloc(sizeof *start);
    pthread_t t;
    if (start == NULL) {
      close(c);
      continue;
    }
    *start = (struct BareThreadStart){serve, c};
    if (pthread_create(&t, &attr, BareThreadMain, start) != 0) {
      free(start);
      close(c);
    }
  }
}

void BareEpollLoop(int listener, int (*accepted)(int fd), void (*readable)(int fd)) {
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
      if (fd != listener) {
        readable(fd);
        continue;
      }
      int c;
      while ((c = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        if (accepted != NULL && accepted(c) != 0) {
          close(c);
          continue;
        }
        struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
      }
    }
  }
}

static const char kKeepAlive[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, world!\n";
static const char kClose[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n"
    "Connection: close\r\n\r\nHello, world!\n";

int BareAnswerHttp(int fd, char* buf, size_t* len) {
  char* end;
  while ((end = memmem(buf, *len, "\r\n\r\n", 4)) != NULL) {
    size_t req = (size_t)(end - buf) + 4;
    int close_after = memmem(buf, req, "onnection: close", 16) != NULL ||
                      memmem(buf, req, "onnection: Close", 16) != NULL;
    const char* resp = close_after ? kClose : kKeepAlive;
    size_t n = close_after ? sizeof kClose - 1 : sizeof kKeepAlive - 1;
    if (write(fd, resp, n) != (ssize_t)n || close_after) return -1;
    memmove(buf, buf + req, *len - req);
    *len -= req;
  }
  return 0;
}

void BareServeHttpBlocking(int fd) {
  char buf[8192];
  size_t len = 0;
  ssize_t got;
  while (len < sizeof buf && (got = read(fd, buf + len, sizeof buf - len)) > 0) {
    len += (size_t)got;
    if (BareAnswerHttp(fd, buf, &len) != 0) break;
  }
}
