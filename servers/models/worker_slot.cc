#include "servers/models/worker_slot.h"

#include <atomic>
#include <string>

#include "spdlog/spdlog.h"

namespace corral::models {

std::optional<stats::SlotWriter> ClaimWorkerSlot(stats::Scoreboard* board) {
  if (board == nullptr) return std::nullopt;
  absl::StatusOr<stats::SlotWriter> slot = board->ClaimSlot();
  if (!slot.ok()) {
    static std::atomic<bool> warned{false};
    if (!warned.exchange(true)) {
      spdlog::warn("scoreboard: {}; extra workers run uncounted",
                   std::string(slot.status().message()));
    }
    return std::nullopt;
  }
  slot->SetState(stats::WorkerState::kIdle);
  return *std::move(slot);
}

}  // namespace corral::models
