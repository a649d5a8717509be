/* corral/handler.h: the C boundary between corral-server and a handler plugin.
 *
 * A handler is a shared object that exports one function, corral_handler_entry(), returning a
 * description of the handler (struct corral_handler). corral-server loads it once, before any
 * worker starts (forked workers inherit it), calls init() with the host's function table and the
 * spec's handler-args, and then calls serve_stream() once per TCP connection, serve_datagram()
 * once per UDP datagram, or add_routes() once to mount HTTP routes on the built-in http
 * protocol, from as many workers at once as the server's model runs.
 *
 * Everything here is written in blocking style and runs unchanged under every model: under fork
 * and thread a call blocks the worker's thread; under coroutine it parks the handler's greenlet
 * and lets the hub serve others. No call throws or longjmps: a cancellation (the server is
 * draining and its time ran out) or a timeout comes back as a status, and once a call returned
 * CORRAL_CANCELLED every later call on that worker does too, so a handler simply returns.
 *
 * Compatibility: a plugin records the ABI version it was built against (abi_version below). A
 * corral-server loads every plugin whose version it supports; within one version the two
 * structs only grow at their ends, and each side reads struct_size before touching a field
 * added after the first release of that version. C++ users include <corral/handler.hpp>
 * instead, a header-only layer over this one.
 */
#ifndef CORRAL_HANDLER_H_
#define CORRAL_HANDLER_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CORRAL_HANDLER_ABI_VERSION 1

#if defined(__GNUC__)
#define CORRAL_EXPORT __attribute__((visibility("default")))
#else
#define CORRAL_EXPORT
#endif

/* Every outcome of a host call. */
typedef enum corral_status {
  CORRAL_OK = 0,
  CORRAL_CLOSED = 1,       /* the peer closed its side before the call could complete */
  CORRAL_TIMEOUT = 2,      /* the deadline (or an enclosing timeout scope) passed */
  CORRAL_CANCELLED = 3,    /* the server is cutting this worker (drain time ran out); sticky */
  CORRAL_BROKEN = 4,       /* the connection broke (reset, or the peer stopped reading) */
  CORRAL_TOO_LONG = 5,     /* read_line: no line end within the caller's buffer */
  CORRAL_INVALID = 6,      /* an argument is wrong (null, zero length, bad pattern, ...) */
  CORRAL_QUEUE_CLOSED = 7, /* queue_get on a closed, empty queue; queue_put on a closed one */
  CORRAL_ERROR = 8         /* anything else; the host logged what */
} corral_status;

/* Deadlines are absolute: nanoseconds on CLOCK_MONOTONIC, as host->now() returns them.
 * CORRAL_NO_DEADLINE waits without limit (an enclosing timeout scope still applies). */
typedef int64_t corral_deadline;
#define CORRAL_NO_DEADLINE INT64_MAX

/* A byte string that the host owns; valid as long as the documentation of the call says. */
typedef struct corral_str {
  const char* data;
  size_t size;
} corral_str;

/* One handler-arg from the spec (`--handler-arg KEY=VALUE`). */
typedef struct corral_arg {
  const char* key;
  const char* value;
} corral_arg;

/* Opaque host objects. A corral_conn is one TCP connection (serve_stream) or one received
 * datagram (serve_datagram); it is valid until that call returns and is used by one worker. */
typedef struct corral_conn corral_conn;
typedef struct corral_task corral_task;
typedef struct corral_event corral_event;
typedef struct corral_queue corral_queue;
typedef struct corral_mutex corral_mutex;
typedef struct corral_routes corral_routes;
typedef struct corral_http_request corral_http_request;
typedef struct corral_http_response corral_http_response;

/* A route's function: fills `response` from `request`; both are valid only during the call.
 * A response left untouched is 200 with an empty body. Runs on the connection's worker, so it
 * may block with the calls below. */
typedef void (*corral_route_fn)(void* route_arg, const corral_http_request* request,
                                corral_http_response* response);

enum corral_log_level { CORRAL_LOG_INFO = 0, CORRAL_LOG_WARNING = 1, CORRAL_LOG_ERROR = 2 };

/* The host's function table, passed to init(); valid for the life of the process. Every
 * function may be called from any worker (thread, forked process or greenlet) at once. */
typedef struct corral_host {
  uint32_t abi_version; /* the version of this table; >= the plugin's */
  uint32_t struct_size; /* sizeof(corral_host) in the host */

  /* --- Time and logging --- */
  corral_deadline (*now)(void);
  /* Writes one line to the server's log (`corralctl logs`), prefixed with the handler's name.
   * `conn` may be null; when given, the peer's address is added. */
  void (*log)(corral_conn* conn, int level, const char* message);

  /* --- Streams (serve_stream's connection) --- */
  /* Reads 1..len bytes into buf; *got says how many. CLOSED when the peer closed and nothing
   * is buffered. */
  corral_status (*read)(corral_conn* conn, void* buf, size_t len, corral_deadline deadline,
                        size_t* got);
  /* Reads exactly len bytes. CLOSED when the peer closed first; *got then says how many of
   * them arrived (they are in buf). */
  corral_status (*read_exactly)(corral_conn* conn, void* buf, size_t len, corral_deadline deadline,
                                size_t* got);
  /* Reads one line into buf, without its "\n" (nor a "\r" before it); *got is its length.
   * TOO_LONG when no line end arrived within cap bytes (those bytes are discarded up to the
   * next line end). A last line the peer ended with a close instead of "\n" is returned OK;
   * after it, CLOSED. Bytes read past the line stay buffered for the next read call. */
  corral_status (*read_line)(corral_conn* conn, char* buf, size_t cap, corral_deadline deadline,
                             size_t* got);
  /* Writes all len bytes, or fails. */
  corral_status (*write)(corral_conn* conn, const void* buf, size_t len, corral_deadline deadline);
  /* The peer's address as text ("127.0.0.1:5000", "[::1]:5000"), NUL-terminated in buf;
   * returns its length (truncated to cap - 1). */
  size_t (*peer)(corral_conn* conn, char* buf, size_t cap);

  /* --- Datagrams (serve_datagram's request) --- */
  /* Sends one datagram back to the request's sender. */
  corral_status (*reply)(corral_conn* request, const void* buf, size_t len);

  /* --- The handler's own counters --- */
  /* The host counts one request per connection (stream), datagram or HTTP request, with its
   * latency and whether it failed, without the handler doing anything. A stream handler that
   * serves several requests per connection calls count_request for each instead (the first
   * call turns the per-connection count off for that connection). */
  void (*count_request)(corral_conn* conn, int64_t latency_ns);
  /* Counts one error of the handler's own (shown as protocol errors in stats). */
  void (*count_error)(corral_conn* conn);

  /* --- Cooperative helpers: on a coroutine hub they park the greenlet, elsewhere they block
   * the thread. They are safe across threads, hubs and greenlets of one process; a forked
   * worker has its own copies of everything it inherited. --- */
  corral_status (*sleep_until)(corral_deadline deadline);
  /* Runs fn(arg) concurrently with the caller: a greenlet on the caller's hub, or a thread.
   * Null when the task could not be started. Every task is joined exactly once. */
  corral_task* (*spawn)(void (*fn)(void* arg), void* arg);
  /* Waits for the task to return, then frees it. TIMEOUT leaves it running and still owned. */
  corral_status (*join)(corral_task* task, corral_deadline deadline);

  corral_event* (*event_new)(void);
  void (*event_set)(corral_event* event);
  void (*event_clear)(corral_event* event);
  int (*event_is_set)(corral_event* event);
  corral_status (*event_wait)(corral_event* event, corral_deadline deadline);
  void (*event_free)(corral_event* event);

  /* A FIFO of pointers; capacity 0 is unbounded. put waits while full, get while empty. */
  corral_queue* (*queue_new)(size_t capacity);
  corral_status (*queue_put)(corral_queue* queue, void* item, corral_deadline deadline);
  corral_status (*queue_get)(corral_queue* queue, void** item, corral_deadline deadline);
  /* Wakes every waiter; later puts fail, gets drain what is left then fail. */
  void (*queue_close)(corral_queue* queue);
  void (*queue_free)(corral_queue* queue);

  corral_mutex* (*mutex_new)(void);
  corral_status (*mutex_lock)(corral_mutex* mutex, corral_deadline deadline);
  void (*mutex_unlock)(corral_mutex* mutex);
  void (*mutex_free)(corral_mutex* mutex);

  /* A timeout scope: until the matching pop, every call of the calling task (greenlet or
   * thread) waits at most until `deadline` and returns TIMEOUT past it. Scopes nest; the
   * earliest deadline wins. */
  void (*timeout_push)(corral_deadline deadline);
  void (*timeout_pop)(void);

  /* --- HTTP routes (add_routes, and the route functions it registers) --- */
  /* Mounts fn on `method` ("GET", "POST", ..., or "*" for any) and `pattern`: literal
   * segments, "{name}" for one segment, and a final "{name...}" for the rest of the path.
   * INVALID on a bad pattern or a route already taken. Routes are tried before static files. */
  corral_status (*route_add)(corral_routes* routes, const char* method, const char* pattern,
                             corral_route_fn fn, void* route_arg);
  corral_str (*request_method)(const corral_http_request* request);
  corral_str (*request_path)(const corral_http_request* request);  /* decoded, no query */
  corral_str (*request_query)(const corral_http_request* request); /* raw, without "?" */
  /* A "{name}" segment of the route; a query parameter (decoded); a header (case-insensitive);
   * each {0, 0} with data null when absent. */
  corral_str (*request_param)(const corral_http_request* request, const char* name);
  corral_str (*request_query_param)(const corral_http_request* request, const char* name);
  corral_str (*request_header)(const corral_http_request* request, const char* name);
  corral_str (*request_body)(const corral_http_request* request);
  void (*response_status)(corral_http_response* response, int code);
  /* Adds a header line (repeatable, as Set-Cookie); Content-Type, which must appear once,
   * replaces any earlier one. */
  void (*response_header)(corral_http_response* response, const char* name, const char* value);
  /* Sets (replaces) the body; the host copies it. */
  void (*response_body)(corral_http_response* response, const void* data, size_t len);

  /* --- Added within ABI 1: check struct_size before use (a null entry is never set) --- */
  /* A stream's session is idle and clients wait for a worker: nonzero when clients wait to be
   * accepted while every worker is taken (a pool, or --max-workers reached), and this
   * connection's worker is chosen to serve one of them once serve_stream returns. The handler
   * should then end the session politely (a goodbye line, say) and return. Once nonzero it stays
   * so for the connection. Ask between two requests, not in the middle of one; a handler that
   * waits long for a next request waits in short reads (a second, say) and asks after each
   * TIMEOUT. Always 0 for a datagram and where workers are not bounded. */
  int (*others_waiting)(corral_conn* conn);
} corral_host;

/* What a plugin describes itself as. Every function pointer may be null where it does not
 * apply; a plugin provides the serve function of the protocol it is run with. */
typedef struct corral_handler {
  uint32_t abi_version; /* CORRAL_HANDLER_ABI_VERSION when the plugin was built */
  uint32_t struct_size; /* sizeof(corral_handler) when the plugin was built */
  const char* name;     /* shown by ls, get, stats and top: [A-Za-z0-9_.-], at most 63 */
  /* The handler-args it accepts, null-terminated; null accepts none. Any other key is refused
   * before init runs. */
  const char* const* arg_names;

  /* Called once per server process before any worker starts. Returns OK, or anything else with
   * a reason written into error (NUL-terminated, at most error_cap bytes): the server then ends
   * FAILED with it. *state is passed to every later call. */
  corral_status (*init)(const corral_host* host, const corral_arg* args, size_t arg_count,
                        void** state, char* error, size_t error_cap);
  /* Called once at a clean exit, after every worker stopped. */
  void (*fini)(void* state);

  /* protocol tcp: serves one connection until it returns; the host then closes it. */
  void (*serve_stream)(void* state, corral_conn* conn);
  /* protocol udp: handles one datagram of `size` bytes at `data` (valid during the call). */
  void (*serve_datagram)(void* state, corral_conn* request, const void* data, size_t size);
  /* protocol http: mounts the handler's routes; called once, after init. */
  corral_status (*add_routes)(void* state, corral_routes* routes);
} corral_handler;

/* The one symbol a plugin exports. */
CORRAL_EXPORT const corral_handler* corral_handler_entry(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CORRAL_HANDLER_H_ */
