// HTTP/1.1 with one forked process per connection: the same minimal answering as
// bare-epoll-http (every request gets the 14-byte body; a request ends at "\r\n\r\n"), in
// blocking reads and writes. It measures what forking a process per connection allows on this
// machine, the reference for Corral's fork model under "Connection: close". SIGCHLD is ignored
// so children are reaped by the kernel.
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/peers/bare_common.h"

static const char kKeepAlive[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, world!\n";
static const char kClose[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n"
    "Connection: close\r\n\r\nHello, world!\n";

static void Serve(int fd) {
  char buf[8192];
  size_t len = 0;
  ssize_t got;
  while (len < sizeof buf && (got = read(fd, buf + len, sizeof buf - len)) > 0) {
    len += (size_t)got;
    char* end;
    while ((end = memmem(buf, len, "\r\n\r\n", 4)) != NULL) {
      size_t req = (size_t)(end - buf) + 4;
      int close_after = memmem(buf, req, "onnection: close", 16) != NULL ||
                        memmem(buf, req, "onnection: Close", 16) != NULL;
      const char* resp = close_after ? kClose : kKeepAlive;
      size_t n = close_after ? sizeof kClose - 1 : sizeof kKeepAlive - 1;
      if (write(fd, resp, n) != (ssize_t)n || close_after) _exit(0);
      memmove(buf, buf + req, len - req);
      len -= req;
    }
  }
  _exit(0);
}

int main(int argc, char** argv) {
  int listener = BareBind(SOCK_STREAM, BarePort(argc, argv), 0);
  signal(SIGCHLD, SIG_IGN);
  for (;;) {
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;
    pid_t pid = fork();
    if (pid == 0) {
      close(listener);
      Serve(c);
    }
    close(c);
  }
}
