#include "servers/handler/datagram_handler.h"

#include "servers/handler/handler_conn.h"

namespace corral::handler {

void DatagramHandler::Serve(const protocols::Datagram& request, net::DatagramSender& sender) const {
  corral_conn conn;
  conn.datagram = &request;
  conn.sender = &sender;
  conn.stats = stats::SlotOf(sender.accounting());
  plugin_.serve_datagram()(plugin_.state(), &conn, request.data, request.size);
}

}  // namespace corral::handler
