// TCP echo with one forked process per connection; SIGCHLD is ignored so children are reaped by
// the kernel.
#include <signal.h>
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
