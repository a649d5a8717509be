// Helpers shared by the bare reference servers: each is a deliberately minimal C program (no
// framework, no error recovery beyond what a benchmark needs) so Corral can be measured against
// the cost of the syscalls alone. Each prints its bound port as the first line on stdout.
#pragma once

#include <netinet/in.h>
#include <stddef.h>

// Parses argv[1] as a port (0 picks a free one); exits 100 on a bad argument.
int BarePort(int argc, char** argv);

// Binds 127.0.0.1:port with the given socket type (SOCK_STREAM listens with a large backlog),
// prints the bound port on stdout, and returns the descriptor. Exits 111 naming the failing
// syscall on any error.
int BareBind(int type, int port, int nonblocking);

// Accepts connections on the blocking `listener` forever, forking a process per connection
// that runs `serve` (which must not return: it _exit()s). SIGCHLD is ignored, so the kernel
// reaps the children.
void BareForkPerConnection(int listener, void (*serve)(int fd));

// Accepts connections on the blocking `listener` forever, starting a detached thread (64 KiB
// stack) per connection that runs `serve` and then closes the connection.
void BareThreadPerConnection(int listener, void (*serve)(int fd));

// Serves the non-blocking `listener` forever from one epoll loop (level-triggered): each new
// connection goes to `accepted` (NULL: always kept), which returns 0 to watch it or -1 to have
// it closed; `readable` is called whenever a watched connection has bytes (or EOF) and closes
// it itself when done.
void BareEpollLoop(int listener, int (*accepted)(int fd), void (*readable)(int fd));

// The minimal HTTP answering of the bare HTTP responders: every complete request (ending at
// "\r\n\r\n") in buf[0, *len) gets the same 14-byte body; answered bytes are removed from the
// buffer. Returns -1 when the connection must close (the request said "Connection: close", or
// a write failed), 0 to keep it.
int BareAnswerHttp(int fd, char* buf, size_t* len);

// Answers the blocking connection `fd` with BareAnswerHttp until the client closes it, asks to
// close, or sends more than 8 KiB without finishing a request. Does not close `fd`.
void BareServeHttpBlocking(int fd);

// Dies with "NAME: WHAT: strerror(errno)" and exit code 111.
void BareDie(const char* what);
