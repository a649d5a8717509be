#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "servers/models/coroutine_model.h"
#include "servers/models/fork_model.h"
#include "servers/models/model.h"
#include "servers/models/thread_model.h"

namespace corral::models {

absl::Status WorkersStillRunning(size_t count) {
  return absl::AbortedError(absl::StrCat(
      count,
      " worker thread(s) still running after the drain cut their connections: a handler "
      "is blocked on something else"));
}

uint32_t SlotsNeeded(ModelKind kind, const ModelOptions& options) {
  if (kind == ModelKind::kCoroutine) return CoroutineModel::HubCount(options) + 1;
  // A stream pool grows up to max_workers while every worker serves (pool_gauge.h).
  return std::max(options.pool_size, options.max_workers) + 1;
}

absl::StatusOr<std::unique_ptr<Model>> MakeModel(ModelKind kind, const ModelOptions& options) {
  switch (kind) {
    case ModelKind::kThread:
    case ModelKind::kFork:
      if (options.hubs != 0) {
        return absl::InvalidArgumentError("--hubs applies to the coroutine model only");
      }
      if (kind == ModelKind::kFork) return std::make_unique<ForkModel>(options);
      return std::make_unique<ThreadModel>(options);
    case ModelKind::kCoroutine:
      if (options.pool_size != 0) {
        return absl::InvalidArgumentError("--pool-size applies to the fork and thread models");
      }
      return std::make_unique<CoroutineModel>(options);
  }
  return absl::InvalidArgumentError("unknown model");
}

}  // namespace corral::models
