#include "ctl/top_view.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ctl/exit_codes.h"
#include "ctl/stats_format.h"

namespace corral::ctl {
namespace {

using Clock = std::chrono::steady_clock;

// Written by the signal handlers (one byte: the signal number), read by the loop.
int g_signal_pipe[2] = {-1, -1};

void OnSignal(int signo) {
  int saved = errno;
  unsigned char byte = static_cast<unsigned char>(signo);
  (void)!::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

// The signals top handles, their previous dispositions restored when it ends.
class SignalPipe {
 public:
  SignalPipe() {
    if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return;
    struct sigaction action {};
    action.sa_handler = OnSignal;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &action, &old_[i]);
  }
  ~SignalPipe() {
    for (size_t i = 0; i < std::size(kSignals); ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
    ::close(g_signal_pipe[0]);
    ::close(g_signal_pipe[1]);
    g_signal_pipe[0] = g_signal_pipe[1] = -1;
  }
  int fd() const { return g_signal_pipe[0]; }

 private:
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH};
  struct sigaction old_[std::size(kSignals)]{};
};

// Raw keyboard and the alternate screen while it lives; the terminal as it was afterwards.
class TerminalSession {
 public:
  TerminalSession() {
    if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      raw.c_lflag &= ~(ICANON | ECHO | ISIG | IEXTEN);
      raw.c_iflag &= ~(IXON | ICRNL);
      raw.c_cc[VMIN] = 0;
      raw.c_cc[VTIME] = 0;
      raw_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
    }
    Write("\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J");  // alternate screen, cursor hidden
  }
  ~TerminalSession() {
    Write("\x1b[?25h\x1b[?1049l");
    if (raw_) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  bool keyboard() const { return raw_; }

  static void Write(const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

 private:
  termios saved_{};
  bool raw_ = false;
};

struct Sample {
  std::vector<v1::ServerStats> servers;
  absl::Status status;
  std::string error;  // when the last call failed
  absl::Time time;
};

Sample Fetch(const TopFetcher& fetcher) {
  TopFetch fetched = fetcher();
  Sample sample;
  sample.time = absl::Now();
  sample.status = fetched.status;
  if (!fetched.status.ok()) sample.error = std::string(fetched.status.message());
  sample.servers = std::move(fetched.servers);
  return sample;
}

std::string Title(const std::string& target, const Sample& sample, uint32_t interval_ms) {
  std::string title = absl::StrFormat(
      "corral top  %s  %d server%s  every %.1fs  agent %s",
      absl::FormatTime("%H:%M:%S", sample.time, absl::LocalTimeZone()), sample.servers.size(),
      sample.servers.size() == 1 ? "" : "s", interval_ms / 1000.0, target);
  if (!sample.error.empty()) absl::StrAppend(&title, "  ERROR: ", sample.error);
  return title;
}

// The whole screen, drawn over the previous one from the top-left corner.
std::string Frame(const std::vector<std::string>& lines, size_t rows) {
  std::string out = "\x1b[H";
  for (size_t i = 0; i < lines.size() && i < rows; ++i) {
    absl::StrAppend(&out, lines[i], "\x1b[K", i + 1 < rows ? "\r\n" : "");
  }
  return out + "\x1b[J";
}

void WindowSize(size_t* rows, size_t* cols) {
  winsize ws{};
  *rows = 24;
  *cols = 80;
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
    *rows = ws.ws_row;
    *cols = ws.ws_col;
  }
}

int PlainTop(const std::string& target, const TopFetcher& fetcher, const TopOptions& options,
             Sample sample) {
  for (uint32_t frame = 0; options.count == 0 || frame < options.count; ++frame) {
    if (frame > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options.interval_ms));
      sample = Fetch(fetcher);
    }
    std::cout << Title(target, sample, options.interval_ms) << "\n";
    for (const std::string& line :
         FormatTopTable(SortForTop(sample.servers, TopSort::kName), TopSort::kName, 0)) {
      std::cout << line << "\n";
    }
    std::cout << "\n" << std::flush;
  }
  return kExitOk;
}

}  // namespace

int TopCommand(CommandContext& ctx, const TopOptions& options) {
  const TopFetcher fetcher = [&ctx] {
    const absl::Time deadline =
        std::min(ctx.Deadline(), absl::Now() + absl::Seconds(5));  // a refresh must not hang
    v1::StatsReport report;
    TopFetch fetched;
    fetched.status =
        ctx.agent.Call(&v1::Stats::Stub::GetStats, v1::GetStatsRequest(), &report, deadline);
    fetched.servers.assign(report.servers().begin(), report.servers().end());
    return fetched;
  };
  // A first call tells an unreachable agent apart before the screen is taken over.
  TopFetch first = fetcher();
  if (!first.status.ok()) return ReportRpcError(ctx, "top", first.status);
  return TopWith(ctx.agent.target(), fetcher, options, std::move(first));
}

int TopWith(const std::string& target, const TopFetcher& fetcher, const TopOptions& options,
            TopFetch first) {
  Sample sample = Fetch([&first] { return std::move(first); });
  if (!::isatty(STDOUT_FILENO)) return PlainTop(target, fetcher, options, std::move(sample));

  SignalPipe signals;
  TerminalSession terminal;
  TopSort sort = TopSort::kName;
  uint32_t frames = 0;
  bool interrupted = false;  // by Ctrl-C: kExitInterrupted, as the other following commands
  auto redraw = [&] {
    size_t rows, cols;
    WindowSize(&rows, &cols);
    std::vector<std::string> lines = {Title(target, sample, options.interval_ms),
                                      FormatTopHelp(sort), ""};
    for (std::string& line : lines) {
      if (line.size() > cols) line.resize(cols);
    }
    for (std::string& line : FormatTopTable(SortForTop(sample.servers, sort), sort, cols)) {
      lines.push_back(std::move(line));
    }
    TerminalSession::Write(Frame(FitToScreen(std::move(lines), rows, cols), rows));
  };
  redraw();
  Clock::time_point next = Clock::now() + std::chrono::milliseconds(options.interval_ms);
  while (options.count == 0 || ++frames < options.count) {
    bool quit = false;
    while (!quit && Clock::now() < next) {
      pollfd fds[2] = {{signals.fd(), POLLIN, 0},
                       {terminal.keyboard() ? STDIN_FILENO : -1, POLLIN, 0}};
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
      if (::poll(fds, 2, static_cast<int>(std::max<int64_t>(wait.count(), 0) + 1)) <= 0) continue;
      unsigned char byte;
      while (fds[0].revents != 0 && ::read(signals.fd(), &byte, 1) == 1) {
        if (byte == SIGWINCH) {
          redraw();
        } else {
          quit = true;
          interrupted = interrupted || byte == SIGINT;
        }
      }
      char keys[64];
      ssize_t n = fds[1].revents != 0 ? ::read(STDIN_FILENO, keys, sizeof keys) : 0;
      if (fds[1].revents & (POLLHUP | POLLERR)) quit = true;
      for (ssize_t i = 0; i < n; ++i) {
        if (keys[i] == 'q' || keys[i] == 'Q' || keys[i] == 3 /* Ctrl-C */ ||
            keys[i] == 4 /* Ctrl-D */) {
          quit = true;
          interrupted = interrupted || keys[i] == 3;
        } else if (TopSortForKey(keys[i], &sort)) {
          redraw();
        }
      }
    }
    if (quit) break;
    sample = Fetch(fetcher);
    next = Clock::now() + std::chrono::milliseconds(options.interval_ms);
    redraw();
  }
  return interrupted ? kExitInterrupted : kExitOk;
}

}  // namespace corral::ctl
