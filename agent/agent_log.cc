#include "agent/agent_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "agent/logger/rotating_log.h"
#include "base/syscall_error.h"
#include "spdlog/details/null_mutex.h"
#include "spdlog/sinks/base_sink.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace corral::agent {
namespace {

constexpr char kFileName[] = "agent.log";

// An spdlog sink over RotatingLog. spdlog's own lock is the null one: this sink's Mutex also
// orders Reopen (the signal handler's thread) against the writes.
class RotatingLogSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  RotatingLogSink(const std::string& home, uint64_t max_bytes, uint32_t keep_files)
      : log_(home, max_bytes, keep_files, kFileName) {}

  void Reopen() {
    absl::MutexLock lock(&mu_);
    log_.Reopen();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    absl::MutexLock lock(&mu_);
    // A failed write has nowhere to be reported (stderr is /dev/null); the next line retries.
    (void)log_.Feed(std::string_view(formatted.data(), formatted.size()), now);
  }
  void flush_() override {}

 private:
  absl::Mutex mu_;
  logger::RotatingLog log_ ABSL_GUARDED_BY(mu_);
};

// Set once by LogToFile, before any other thread runs; read by ReopenAgentLog.
std::shared_ptr<RotatingLogSink>& FileSink() {
  static auto* sink = new std::shared_ptr<RotatingLogSink>();
  return *sink;
}

}  // namespace

std::string AgentLogPath(const std::string& home) { return home + "/" + kFileName; }

void LogToStderr() { spdlog::set_default_logger(spdlog::stderr_logger_mt("corral-agent")); }

absl::Status LogToFile(const std::string& home, uint64_t max_bytes, uint32_t keep_files) {
  const std::string path = AgentLogPath(home);
  // Opened once here only to report a bad file now, while the operator still sees stderr.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return base::SyscallError("open the agent log " + path, errno);
  ::close(fd);
  auto sink = std::make_shared<RotatingLogSink>(home, max_bytes, keep_files);
  // The time comes from RotatingLog, as on every server log line: one timestamp per line.
  sink->set_pattern("[%l] %v");
  FileSink() = sink;
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("corral-agent", std::move(sink)));
  return absl::OkStatus();
}

void ReopenAgentLog() {
  if (FileSink() != nullptr) FileSink()->Reopen();
}

}  // namespace corral::agent
