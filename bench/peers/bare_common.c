#include "bench/peers/bare_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
