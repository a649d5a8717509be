/* upper: a UDP handler in plain C against <corral/handler.h> (protocol udp). Every datagram
 * comes back to its sender in upper case, prefixed with the handler-arg `prefix` (default
 * none); an empty datagram is counted as an error and dropped.
 *
 * Nothing here is shared between datagrams but the prefix, which init sets and nothing
 * changes, so it runs unchanged under fork, thread and coroutine.
 *
 *   corralctl start upper --protocol udp --handler build/handlers/upper.so
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corral/handler.h"

#define MAX_PREFIX 64

static const corral_host* host;

struct upper_state {
  char prefix[MAX_PREFIX];
  size_t prefix_len;
};

static corral_status upper_init(const corral_host* h, const corral_arg* args, size_t count,
                                void** state, char* error, size_t error_cap) {
  struct upper_state* s = calloc(1, sizeof *s);
  size_t i;
  if (s == NULL) {
    snprintf(error, error_cap, "out of memory");
    return CORRAL_ERROR;
  }
  for (i = 0; i < count; ++i) {
    if (strcmp(args[i].key, "prefix") != 0) continue;
    if (strlen(args[i].value) >= MAX_PREFIX) {
      snprintf(error, error_cap, "prefix is longer than %d bytes", MAX_PREFIX - 1);
      free(s);
      return CORRAL_INVALID;
    }
    strcpy(s->prefix, args[i].value);
    s->prefix_len = strlen(s->prefix);
  }
  host = h;
  *state = s;
  return CORRAL_OK;
}

static void upper_fini(void* state) { free(state); }

static void upper_serve(void* state, corral_conn* request, const void* data, size_t size) {
  const struct upper_state* s = state;
  /* The largest UDP payload, plus the prefix. */
  char reply[65535 + MAX_PREFIX];
  const unsigned char* in = data;
  size_t i;
  if (size == 0) {
    host->count_error(request);
    return;
  }
  memcpy(reply, s->prefix, s->prefix_len);
  for (i = 0; i < size && i < 65535; ++i) reply[s->prefix_len + i] = (char)toupper(in[i]);
  host->reply(request, reply, s->prefix_len + i);
}

static const char* const upper_args[] = {"prefix", NULL};

static const corral_handler upper_handler = {
    CORRAL_HANDLER_ABI_VERSION, /* abi_version */
    sizeof(corral_handler),     /* struct_size */
    "upper",                    /* name */
    upper_args,                 /* arg_names */
    upper_init,                 /* init */
    upper_fini,                 /* fini */
    NULL,                       /* serve_stream */
    upper_serve,                /* serve_datagram */
    NULL,                       /* add_routes */
};

CORRAL_EXPORT const corral_handler* corral_handler_entry(void) { return &upper_handler; }
