// TCP echo with one detached thread per connection and blocking I/O.
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/peers/bare_common.h"

static int WriteAll(int fd, const char* p, ssize_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, (size_t)n);
    if (w <= 0) return -1;
    p += w;
    n -= w;
  }
  return 0;
}

static void* Serve(void* arg) {
  int fd = (int)(intptr_t)arg;
  char buf[16384];
  ssize_t got;
  while ((got = read(fd, buf, sizeof buf)) > 0 && WriteAll(fd, buf, got) == 0) {
  }
  close(fd);
  return NULL;
}

int main(int argc, char** argv) {
  int listener = BareBind(SOCK_STREAM, BarePort(argc, argv), 0);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);  // A small stack is all Serve needs.
  for (;;) {
    int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) continue;  // EINTR, ECONNABORTED, EMFILE: the benchmark just retries.
    pthread_t t;
    if (pthread_create(&t, &attr, Serve, (void*)(intptr_t)c) != 0) close(c);
  }
}
