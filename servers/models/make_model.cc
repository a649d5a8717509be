#include <memory>

#include "absl/strings/str_cat.h"
#include "servers/models/model.h"
#include "servers/models/thread_model.h"

namespace corral::models {

absl::StatusOr<std::unique_ptr<Model>> MakeModel(ModelKind kind, const ModelOptions& options) {
  switch (kind) {
    case ModelKind::kThread:
      return std::make_unique<ThreadModel>(options);
    case ModelKind::kFork:
    case ModelKind::kCoroutine:
      break;
  }
  return absl::UnimplementedError(
      absl::StrCat("model \"", std::string(ModelName(kind)), "\" is not built yet; use \"thread\""));
}

}  // namespace corral::models
