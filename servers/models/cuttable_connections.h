// CuttableConnections: the sockets that threads serving one connection after another are on, so
// that a drain that runs out of time can shut them down (shutdown(2) wakes a thread blocked on
// one; its handler then sees end of stream and returns). Used by the thread model's accepting
// threads and by thread pool workers, which accept for themselves.
//
// Each thread holds one Slot for its life. Setting and closing the slot's socket takes only the
// slot's own lock, uncontended except while a drain cuts, so serving shares no lock; that lock
// also keeps a cut from shutting down a descriptor number that was closed and reused meanwhile.
// The registry's lock is taken when a thread starts or ends and by CutAll.
#pragma once

#include <cstddef>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace corral::models {

class CuttableConnections {
 public:
  class Slot {
   public:
    explicit Slot(CuttableConnections& registry);
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

    // `fd` is the connection served from now on; the slot owns it until CloseServed().
    void Serve(int fd);
    // Closes the connection served, if any.
    void CloseServed();

   private:
    friend class CuttableConnections;
    CuttableConnections& registry_;
    absl::Mutex mu_;
    int fd_ ABSL_GUARDED_BY(mu_) = -1;
  };

  // Shuts down (SHUT_RDWR) every connection being served. Returns how many.
  size_t CutAll();

 private:
  absl::Mutex mu_;
  std::vector<Slot*> slots_ ABSL_GUARDED_BY(mu_);  // one per thread alive
};

}  // namespace corral::models
