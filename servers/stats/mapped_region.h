#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace corral::stats {

// Owns one mmap()ed range and unmaps it on destruction. Move-only. A forked child inherits the
// mapping itself; destroying the object in the child unmaps only the child's copy.
class MappedRegion {
 public:
  MappedRegion() = default;
  // Maps `size` bytes of `fd` from offset 0, MAP_SHARED. `what` names the object in errors
  // ("map scoreboard /x/y: ...").
  static absl::StatusOr<MappedRegion> Map(int fd, size_t size, bool writable,
                                          absl::string_view what);
  MappedRegion(MappedRegion&& other) noexcept;
  MappedRegion& operator=(MappedRegion&& other) noexcept;
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;
  ~MappedRegion();

  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  MappedRegion(void* data, size_t size) : data_(data), size_(size) {}
  void Reset();

  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace corral::stats
