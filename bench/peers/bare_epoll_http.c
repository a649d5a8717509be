// HTTP/1.1 on one thread with epoll: answers every request (whatever its path) with the same
// 14-byte body, keeping the connection unless the request says "Connection: close". Parsing is
// the minimum: a request ends at "\r\n\r\n"; bodies are not expected (wrk sends GETs).
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

static int Accepted(int fd) {
  if (fd >= kMaxFd) return -1;
  pending[fd] = malloc(kBufSize);
  return 0;
}

static void Readable(int fd) {
  size_t room = kBufSize - pending_len[fd];
  ssize_t got = room == 0 ? 0 : read(fd, pending[fd] + pending_len[fd], room);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (got <= 0) {
    Drop(fd);
    return;
  }
  pending_len[fd] += (size_t)got;
  if (BareAnswerHttp(fd, pending[fd], &pending_len[fd]) != 0) Drop(fd);
}

int main(int argc, char** argv) {
  BareEpollLoop(BareBind(SOCK_STREAM, BarePort(argc, argv), 1), Accepted, Readable);
}
