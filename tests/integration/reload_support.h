// Helpers of the reload, rollout and scale tests (issue 22): a client that keeps sending
// requests and counts what fails, and a log of one server's events.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "corral/v1/agent.grpc.pb.h"
#include "tests/servers/protocols/http/http_test_client.h"
#include "tests/support/wait_for.h"

namespace corral::testing {

// The Reload rpc with a minute's deadline; the server it answered with in *out when not null.
inline grpc::Status CallReload(v1::Agent::Stub& stub, const v1::ReloadRequest& request,
                               v1::Server* out) {
  v1::ReloadResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  grpc::Status status = stub.Reload(&context, request, &response);
  if (out != nullptr) *out = response.server();
  return status;
}

// A client that sends GET requests one after another, on a keep-alive connection when the
// server allows one, until stopped. A request that gets no answer because the server closed an
// idle connection as it was sent is sent again on a new connection (what HTTP clients do for
// an idempotent request, RFC 9112 9.3.1) and counted in `retried`; anything else that goes
// wrong is an error.
class LoadClient {
 public:
  LoadClient(std::string address, std::string path, bool keep_alive, bool count_5xx = true)
      : address_(std::move(address)),
        path_(std::move(path)),
        keep_alive_(keep_alive),
        count_5xx_(count_5xx) {
    thread_ = std::thread([this] { Run(); });
  }
  ~LoadClient() { Stop(); }

  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Waits until `more` further requests succeeded (false after 20 s or on an error).
  bool ServedMore(int more) {
    const int target = ok_ + more;
    return WaitFor([&] { return ok_ >= target || errors_ > 0; }) && errors_ == 0;
  }

  int ok() const { return ok_; }
  int errors() const { return errors_; }
  int retried() const { return retried_; }
  int non_2xx() const { return non_2xx_; }
  std::string first_error() {
    absl::MutexLock lock(&mutex_);
    return first_error_;
  }

 private:
  void Fail(const std::string& what) {
    ++errors_;
    absl::MutexLock lock(&mutex_);
    if (first_error_.empty()) first_error_ = what;
  }

  void Run() {
    std::unique_ptr<HttpTestClient> client;
    int served_on_connection = 0;
    while (!stop_) {
      if (client == nullptr) {
        client = std::make_unique<HttpTestClient>(address_);
        served_on_connection = 0;
        if (!client->connected()) {
          Fail("connect refused or failed");
          client.reset();
          continue;
        }
      }
      const std::string request =
          keep_alive_ ? Request("GET", path_) : Request("GET", path_, "Connection: close\r\n");
      if (!client->Send(request)) {
        client.reset();
        if (served_on_connection > 0) {
          ++retried_;
        } else {
          Fail("send failed on a new connection");
        }
        continue;
      }
      std::optional<HttpReply> reply = client->Read(false, std::chrono::seconds(20));
      if (!reply) {
        client.reset();
        if (served_on_connection > 0) {
          ++retried_;
        } else {
          Fail("no answer on a new connection");
        }
        continue;
      }
      if (reply->status != 200 && !count_5xx_) {
        ++non_2xx_;
      } else if (reply->status != 200) {
        Fail(absl::StrCat("status ", reply->status_line));
      } else {
        ++ok_;
      }
      ++served_on_connection;
      if (!keep_alive_ || absl::EqualsIgnoreCase(reply->Header("Connection"), "close")) {
        client.reset();
      }
    }
  }

  const std::string address_, path_;
  const bool keep_alive_;
  const bool count_5xx_;  // a non-200 answer is an error; else only counted in non_2xx()
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, errors_{0}, retried_{0}, non_2xx_{0};
  absl::Mutex mutex_;
  std::string first_error_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

// Collects the events of one server from WatchEvents until destroyed.
class EventLog {
 public:
  EventLog(v1::Agent::Stub& stub, const std::string& name) {
    v1::WatchEventsRequest request;
    request.set_name(name);
    reader_ = stub.WatchEvents(&context_, request);
    thread_ = std::thread([this] {
      v1::Event event;
      while (reader_->Read(&event)) {
        absl::MutexLock lock(&mutex_);
        events_.push_back(event);
      }
    });
  }
  ~EventLog() {
    context_.TryCancel();
    thread_.join();
    (void)reader_->Finish();
  }
  std::vector<v1::Event> events() {
    absl::MutexLock lock(&mutex_);
    return events_;
  }
  // Waits for an event of `kind`; returns it (an empty event after 20 s).
  v1::Event WaitFor(v1::Event::Kind kind) {
    v1::Event found;
    testing::WaitFor([&] {
      for (const v1::Event& e : events()) {
        if (e.kind() == kind) {
          found = e;
          return true;
        }
      }
      return false;
    });
    return found;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader_;
  absl::Mutex mutex_;
  std::vector<v1::Event> events_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace corral::testing
