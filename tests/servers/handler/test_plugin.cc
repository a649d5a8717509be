// The plugins the handler tests load, built against the C boundary alone, one per flaw (or one
// behaviour) chosen by a define: TEST_BAD_ABI, TEST_BAD_NAME, TEST_INIT_FAILS, TEST_NO_ENTRY,
// TEST_CRASH, TEST_YIELD. Each otherwise serves protocol tcp as a line echo: every line comes
// back with "\n", and the line "crash" (TEST_CRASH) makes the serving process die of SIGSEGV.
// TEST_YIELD waits for each line in reads of 100 ms and, between two, ends an idle session
// with "bye\n" when clients wait for its worker (host->others_waiting).
#include <stddef.h>
#include <string.h>

#include "corral/handler.h"

namespace {

const corral_host* host = nullptr;

corral_status Init(const corral_host* h, const corral_arg*, size_t, void**, char* error,
                   size_t cap) {
  host = h;
#ifdef TEST_INIT_FAILS
  strncpy(error, "cannot open /nonexistent/db: no such file", cap - 1);
  error[cap - 1] = '\0';
  return CORRAL_ERROR;
#else
  (void)error;
  (void)cap;
  return CORRAL_OK;
#endif
}

#ifdef TEST_YIELD
// A line, or CORRAL_TIMEOUT once clients wait for this worker (after "bye\n" is sent).
corral_status ReadLineOrYield(corral_conn* conn, char* line, size_t cap, size_t* got) {
  constexpr corral_deadline kSlice = 100'000'000;  // ns
  const bool can_ask =
      host->struct_size >= offsetof(corral_host, others_waiting) + sizeof host->others_waiting &&
      host->others_waiting != nullptr;
  for (;;) {
    corral_status status = host->read_line(conn, line, cap, host->now() + kSlice, got);
    if (status != CORRAL_TIMEOUT) return status;
    if (can_ask && host->others_waiting(conn) != 0) {
      host->write(conn, "bye\n", 4, CORRAL_NO_DEADLINE);
      return CORRAL_TIMEOUT;
    }
  }
}
#else
corral_status ReadLineOrYield(corral_conn* conn, char* line, size_t cap, size_t* got) {
  return host->read_line(conn, line, cap, CORRAL_NO_DEADLINE, got);
}
#endif

void ServeStream(void*, corral_conn* conn) {
  char line[256];
  size_t got = 0;
  while (ReadLineOrYield(conn, line, sizeof line - 1, &got) == CORRAL_OK) {
#ifdef TEST_CRASH
    if (got == 5 && memcmp(line, "crash", 5) == 0) {
      volatile int* nowhere = nullptr;
      *nowhere = 1;  // SIGSEGV
    }
#endif
    line[got] = '\n';
    if (host->write(conn, line, got + 1, CORRAL_NO_DEADLINE) != CORRAL_OK) return;
  }
}

const corral_handler kHandler = {
#ifdef TEST_BAD_ABI
    2,
#else
    CORRAL_HANDLER_ABI_VERSION,
#endif
    sizeof(corral_handler),
#ifdef TEST_BAD_NAME
    "bad name!",
#else
    "lines",
#endif
    nullptr,
    Init,
    nullptr,
    ServeStream,
    nullptr,
    nullptr,
};

}  // namespace

#ifdef TEST_NO_ENTRY
extern "C" CORRAL_EXPORT const corral_handler* corral_handler_entry_misspelt(void) {
  return &kHandler;
}
#else
extern "C" CORRAL_EXPORT const corral_handler* corral_handler_entry(void) { return &kHandler; }
#endif
