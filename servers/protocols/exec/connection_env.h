// ConnectionEnvironment: the environment of a connection's program: the server's own, plus the
// connection's addresses under the names both conventions use, so programs written for either
// run unchanged:
//   REMOTE_ADDR, REMOTE_PORT                       systemd's Accept=yes (and CGI)
//   PROTO=TCP, TCPREMOTEIP, TCPREMOTEPORT,
//   TCPLOCALIP, TCPLOCALPORT                        UCSPI-TCP (tcpserver, s6-tcpserver)
// Any of these the server's environment already had are replaced.
#pragma once

#include <string>
#include <vector>

namespace corral::protocols::exec {

// "NAME=value" strings for execve. `socket` is the connection; an address getpeername or
// getsockname cannot give is left out.
std::vector<std::string> ConnectionEnvironment(int socket);

}  // namespace corral::protocols::exec
