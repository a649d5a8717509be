#include "servers/models/receive_batch.h"

#include "servers/coro/socket_calls.h"
#include "servers/protocols/datagram_protocol.h"

namespace corral::models {

ReceiveBatch::ReceiveBatch(int socket, stats::Scoreboard* board)
    : buffers_(std::make_unique_for_overwrite<char[]>(kSize * protocols::kMaxDatagramSize)),
      drops_(socket, board) {
  for (unsigned i = 0; i < kSize; ++i) {
    iovecs_[i] =
        iovec{buffers_.get() + i * protocols::kMaxDatagramSize, protocols::kMaxDatagramSize};
    messages_[i].msg_hdr = msghdr{};
    messages_[i].msg_hdr.msg_iov = &iovecs_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
    messages_[i].msg_hdr.msg_name = &senders_[i];
  }
}

absl::StatusOr<size_t> ReceiveBatch::Receive(int socket, unsigned at_most) {
  for (unsigned i = 0; i < at_most; ++i) {
    messages_[i].msg_hdr.msg_namelen = sizeof senders_[i];
    drops_.Attach(messages_[i].msg_hdr, controls_[i]);
  }
  absl::StatusOr<size_t> received = coro::RecvMany(socket, messages_.data(), at_most);
  if (received.ok()) {
    for (size_t i = 0; i < *received; ++i) drops_.Saw(messages_[i].msg_hdr);
  }
  return received;
}

std::string_view ReceiveBatch::bytes(size_t i) const {
  return std::string_view(static_cast<const char*>(iovecs_[i].iov_base), messages_[i].msg_len);
}

net::Address ReceiveBatch::sender(size_t i) const {
  return net::Address::FromSockaddr(reinterpret_cast<const sockaddr*>(&senders_[i]),
                                    messages_[i].msg_hdr.msg_namelen);
}

}  // namespace corral::models
