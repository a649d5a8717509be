// corral/handler_entry.hpp: how CORRAL_HANDLER(Class) turns a C++ handler class into the
// plugin's corral_handler (handler.h): which serve functions the class has, how its object is made
// by init and deleted by fini, and the guard that keeps an exception from crossing into C.
// Included by <corral/handler.hpp>; not meant to be included on its own.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "corral/handler.hpp"

namespace corral {
namespace internal {

template <typename T, typename = void>
struct HasArgNames : std::false_type {};
template <typename T>
struct HasArgNames<T, std::void_t<decltype(T::kArgNames)>> : std::true_type {};

template <typename T, typename = void>
struct HasCreate : std::false_type {};
template <typename T>
struct HasCreate<
    T, std::void_t<decltype(T::Create(std::declval<const Args&>(), std::declval<std::string&>()))>>
    : std::true_type {};

template <typename T, typename = void>
struct ServesStream : std::false_type {};
template <typename T>
struct ServesStream<T, std::void_t<decltype(std::declval<T&>().Serve(std::declval<Stream&>()))>>
    : std::true_type {};

template <typename T, typename = void>
struct ServesDatagram : std::false_type {};
template <typename T>
struct ServesDatagram<T, std::void_t<decltype(std::declval<T&>().Serve(std::declval<Datagram&>()))>>
    : std::true_type {};

// http.hpp specializes this for handlers with routes; elsewhere a handler mounts none.
template <typename T, typename = void>
struct RoutesOf {
  static constexpr corral_status (*add_routes)(void*, corral_routes*) = nullptr;
};

inline void CopyError(const std::string& text, char* error, size_t cap) {
  if (cap == 0) return;
  size_t n = text.size() < cap - 1 ? text.size() : cap - 1;
  text.copy(error, n);
  error[n] = '\0';
}

template <typename T>
corral_status Init(const corral_host* table, const corral_arg* args, size_t count, void** state,
                   char* error, size_t cap) {
  if (table == nullptr || table->abi_version < CORRAL_HANDLER_ABI_VERSION) {
    CopyError("the host's function table is missing or too old", error, cap);
    return CORRAL_INVALID;
  }
  internal::host = table;
  try {
    Args view(args, count);
    std::unique_ptr<T> handler;
    if constexpr (HasCreate<T>::value) {
      std::string reason;
      handler = T::Create(view, reason);
      if (!handler) {
        CopyError(reason.empty() ? "Create returned null" : reason, error, cap);
        return CORRAL_ERROR;
      }
    } else if constexpr (std::is_constructible_v<T, const Args&>) {
      handler = std::make_unique<T>(view);
    } else {
      handler = std::make_unique<T>();
    }
    *state = handler.release();
    return CORRAL_OK;
  } catch (const std::exception& e) {
    CopyError(e.what(), error, cap);
  } catch (...) {
    CopyError("an exception that is not a std::exception", error, cap);
  }
  return CORRAL_ERROR;
}

template <typename T>
void Fini(void* state) {
  delete static_cast<T*>(state);
}

// An exception must not cross into C: it is logged and counted, and ends the call.
template <typename F>
void Guard(corral_conn* conn, F&& serve) {
  try {
    serve();
  } catch (const std::exception& e) {
    Host()->log(conn, CORRAL_LOG_ERROR, (std::string("uncaught exception: ") + e.what()).c_str());
    Host()->count_error(conn);
  } catch (...) {
    Host()->log(conn, CORRAL_LOG_ERROR, "uncaught exception");
    Host()->count_error(conn);
  }
}

template <typename T>
void ServeStream(void* state, corral_conn* conn) {
  Guard(conn, [&] {
    Stream stream(conn);
    static_cast<T*>(state)->Serve(stream);
  });
}

template <typename T>
void ServeDatagram(void* state, corral_conn* conn, const void* data, size_t size) {
  Guard(conn, [&] {
    Datagram datagram(conn, data, size);
    static_cast<T*>(state)->Serve(datagram);
  });
}

template <typename T>
const corral_handler* Describe() {
  static const corral_handler handler = [] {
    corral_handler h{};
    h.abi_version = CORRAL_HANDLER_ABI_VERSION;
    h.struct_size = sizeof(corral_handler);
    h.name = T::kName;
    if constexpr (HasArgNames<T>::value) h.arg_names = T::kArgNames;
    h.init = &Init<T>;
    h.fini = &Fini<T>;
    if constexpr (ServesStream<T>::value) h.serve_stream = &ServeStream<T>;
    if constexpr (ServesDatagram<T>::value) h.serve_datagram = &ServeDatagram<T>;
    h.add_routes = RoutesOf<T>::add_routes;
    return h;
  }();
  return &handler;
}

}  // namespace internal
}  // namespace corral

// Exports `Class` as the plugin's one handler. Use once, at namespace scope, in one file.
#define CORRAL_HANDLER(Class)                                                 \
  extern "C" CORRAL_EXPORT const corral_handler* corral_handler_entry(void) { \
    return ::corral::internal::Describe<Class>();                             \
  }
