#include "servers/models/child_drain_watcher.h"

#include <poll.h>

#include <cerrno>
#include <system_error>
#include <thread>

#include "spdlog/spdlog.h"

namespace corral::models {

void StartChildDrainWatcher(int stop_fd, const protocols::StreamProtocol& protocol) {
  try {
    std::thread([stop_fd, &protocol] {
      pollfd stop{stop_fd, POLLIN, 0};
      int ready;
      while ((ready = ::poll(&stop, 1, -1)) < 0 && errno == EINTR) {
      }
      if (ready > 0) protocol.BeginDrain();
    }).detach();
  } catch (const std::system_error& e) {
    spdlog::warn("start drain watcher: {}; keep-alive connections end at the drain deadline",
                 e.what());
  }
}

}  // namespace corral::models
