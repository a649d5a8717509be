#include "bench/load/test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

namespace corral::load {

int TestHttpServer::Start() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
      listen(listen_fd_, 128) < 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
    return 0;
  }
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return ntohs(addr.sin_port);
}

void TestHttpServer::Stop() {
  if (listen_fd_ < 0) return;
  shutdown(listen_fd_, SHUT_RDWR);  // wakes the blocked accept()
  acceptor_.join();
  close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);  // wakes each blocked recv()
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
  absl::MutexLock lock(&mu_);
  for (int fd : fds_) close(fd);
  fds_.clear();
}

void TestHttpServer::AcceptLoop() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    int n = ++accepted_;
    bool answer = options_.answer_connections < 0 || n <= options_.answer_connections;
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      close(fd);
      return;
    }
    fds_.push_back(fd);
    threads_.emplace_back([this, fd, answer] { Serve(fd, answer); });
  }
}

// Answers each request on fd; a connection not to be answered is held open and never read.
// The descriptor is closed by Stop(), or here when the server ends the connection itself.
void TestHttpServer::Serve(int fd, bool answer) {
  if (!answer) return;
  Answer(fd);
  absl::MutexLock lock(&mu_);
  if (stopping_) return;  // Stop() closes it
  std::erase(fds_, fd);
  close(fd);
}

void TestHttpServer::Answer(int fd) {
  std::string head = "HTTP/1.1 " + std::to_string(options_.status) +
                     " X\r\nContent-Length: " + std::to_string(options_.body.size()) + "\r\n" +
                     (options_.close_each ? "Connection: close\r\n" : "") + "\r\n";
  std::string answer_bytes = head + options_.body;
  std::string in;
  char buffer[4096];
  for (;;) {
    size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      in.append(buffer, static_cast<size_t>(n));
    }
    in.erase(0, end + 4);
    if (!first_answer_sent_.exchange(true) && options_.first_answer_delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.first_answer_delay_ms));
      int queued = 0;
      ioctl(fd, FIONREAD, &queued);
      queued_at_first_answer_ = in.size() + static_cast<size_t>(queued);
    }
    if (send(fd, answer_bytes.data(), answer_bytes.size(), MSG_NOSIGNAL) < 0) return;
    ++answers_;
    if (options_.close_each || options_.close_silently) {
      // A lingering close, as real servers do: closing with the client's next request unread
      // would reset the connection, and a reset may discard the answer before it is read.
      shutdown(fd, SHUT_WR);
      while (recv(fd, buffer, sizeof buffer, 0) > 0) {
      }
      return;
    }
  }
}

}  // namespace corral::load
