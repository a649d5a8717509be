#include "servers/protocols/udp_echo.h"

#include <chrono>

namespace corral::protocols {

void UdpEcho::Serve(const Datagram& request, net::DatagramSender& sender) const {
  // A full send buffer for a whole second means the host is overloaded; UDP may drop, so do.
  (void)sender.SendTo(request.data, request.size, request.peer,
                      net::DeadlineAfter(std::chrono::seconds(1)));
}

}  // namespace corral::protocols
