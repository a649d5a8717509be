// corral-file: command-line client of the file protocol (PROTOCOL.md).
//   corral-file HOST:PORT ls [DIR]
//   corral-file HOST:PORT get REMOTE [LOCAL | -]
//   corral-file HOST:PORT put LOCAL [REMOTE]
// Exit codes are listed in kExitCodes below (and in --help).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "base/deadline.h"
#include "base/syscall_error.h"
#include "base/version.h"
#include "servers/net/address.h"
#include "servers/net/polling_stream.h"
#include "servers/net/socket.h"
#include "servers/protocols/file/atomic_file.h"
#include "servers/protocols/file/file_client.h"
#include "servers/protocols/file/name_escape.h"

    namespace corral::protocols::file {
  namespace {

  constexpr int kExitOk = 0;
  constexpr int kExitRefused = 1;      // the server refused the request (ERR 4xx)
  constexpr int kExitServerError = 2;  // the server failed (ERR 5xx)
  constexpr int kExitLocalFile = 3;    // LOCAL cannot be read or written, or exists
  constexpr int kExitNetwork = 4;      // cannot connect, timeout, connection lost, bad reply
  constexpr int kExitUsage = 64;       // bad command line

  constexpr char kExitCodes[] =
      "Exit codes: 0 done; 1 the server refused (not found, forbidden, exists, too large, bad\n"
      "request); 2 the server failed (I/O error); 3 a local file problem (cannot read or write\n"
      "LOCAL, or LOCAL exists and --force is not given); 4 a network or protocol failure (cannot\n"
      "connect, timeout, connection lost); 64 usage error.";

  struct Flags {
    std::string address;
    int timeout_ms = 30'000;
    bool force = false;
    std::string first;   // ls: DIR; get: REMOTE; put: LOCAL
    std::string second;  // get: LOCAL; put: REMOTE
  };

  int Fail(int code, const std::string& message) {
    std::fprintf(stderr, "corral-file: %s\n", message.c_str());
    return code;
  }

  // The exit code for a failed FileClient call.
  int FailCall(const FileClient& client, const absl::Status& status) {
    int code = kExitNetwork;
    if (client.last_error_was_refusal()) {
      code = absl::IsInternal(status) || absl::IsUnknown(status) ? kExitServerError : kExitRefused;
    }
    return Fail(code, std::string(status.message()));
  }

  std::string BaseName(const std::string& path) {
    size_t end = path.find_last_not_of('/');
    if (end == std::string::npos) return "";
    size_t slash = path.rfind('/', end);
    return path.substr(slash == std::string::npos ? 0 : slash + 1,
                       slash == std::string::npos ? end + 1 : end - slash);
  }

  std::string DirName(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
  }

  // A connected, non-blocking TCP socket (PollingStream's contract), or why not.
  absl::StatusOr<base::UniqueFd> Connect(const std::string& text,
                                         std::chrono::milliseconds timeout) {
    absl::StatusOr<net::Address> address = net::Address::Parse(text);
    if (!address.ok()) return address.status();
    base::UniqueFd fd(
        ::socket(address->family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP));
    if (!fd.valid()) return base::SyscallError("socket", errno);
    std::string what = absl::StrCat("connect ", text);
    if (::connect(fd.get(), address->sockaddr_ptr(), address->length()) != 0) {
      if (errno != EINPROGRESS && errno != EINTR) return base::SyscallError(what, errno);
      if (absl::Status ready = base::WaitReady(fd.get(), POLLOUT, net::DeadlineAfter(timeout));
          !ready.ok()) {
        return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
      }
      int err = 0;
      socklen_t len = sizeof err;
      if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err != 0) return base::SyscallError(what, err);
    }
    net::SetNoDelay(fd.get());
    return fd;
  }

  int List(FileClient& client, const Flags& flags) {
    absl::StatusOr<std::vector<ListEntry>> entries = client.List(flags.first);
    if (!entries.ok()) return FailCall(client, entries.status());
    for (const ListEntry& entry : *entries) {
      // Escaped: a hostile name cannot send escape sequences to the terminal.
      std::printf("%-5s %12llu %s%s\n", std::string(TypeName(entry.type)).c_str(),
                  static_cast<unsigned long long>(entry.size), EscapeName(entry.name).c_str(),
                  entry.type == ListEntry::Type::kDirectory ? "/" : "");
    }
    return kExitOk;
  }

  // `get REMOTE -`: the file's bytes on stdout, for a pipe.
  int GetToStdout(FileClient& client, const Flags& flags) {
    bool local_failed = false;
    absl::StatusOr<uint64_t> size =
        client.Get(flags.first, [&](const char* data, size_t len) -> absl::Status {
          while (len > 0) {
            ssize_t n = ::write(STDOUT_FILENO, data, len);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
              local_failed = true;
              return base::SyscallError("write to stdout", n < 0 ? errno : EIO);
            }
            data += n;
            len -= static_cast<size_t>(n);
          }
          return absl::OkStatus();
        });
    if (!size.ok()) {
      if (local_failed) return Fail(kExitLocalFile, std::string(size.status().message()));
      return FailCall(client, size.status());
    }
    return kExitOk;
  }

  int Get(FileClient& client, const Flags& flags) {
    if (flags.second == "-") return GetToStdout(client, flags);
    std::string local = flags.second.empty() ? BaseName(flags.first) : flags.second;
    struct stat info;
    if (!local.empty() && ::stat(local.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
      local = absl::StrCat(local, "/", BaseName(flags.first));
    }
    std::string name = BaseName(local);
    if (name.empty()) return Fail(kExitUsage, "get: cannot derive a local file name; give LOCAL");
    std::string dir_path = DirName(local);
    base::UniqueFd dir(::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) {
      return Fail(kExitLocalFile,
                  base::SyscallError(absl::StrCat("open ", dir_path), errno).ToString());
    }
    if (!flags.force && NameExists(dir.get(), name)) {
      return Fail(kExitLocalFile, absl::StrCat(local, ": exists (use --force to replace it)"));
    }
    AtomicFile::Options options;
    options.replace = flags.force;
    absl::StatusOr<AtomicFile> file = AtomicFile::Create(std::move(dir), name, options);
    if (!file.ok()) {
      return Fail(kExitLocalFile, absl::StrCat(local, ": ", std::string(file.status().message())));
    }
    bool local_failed = false;
    absl::StatusOr<uint64_t> size =
        client.Get(flags.first, [&](const char* data, size_t len) -> absl::Status {
          absl::Status written = file->Write(data, len);
          local_failed = !written.ok();
          return written;
        });
    if (!size.ok()) {
      if (local_failed) {
        return Fail(kExitLocalFile,
                    absl::StrCat(local, ": ", std::string(size.status().message())));
      }
      return FailCall(client, size.status());
    }
    if (absl::Status committed = file->Commit(); !committed.ok()) {
      return Fail(kExitLocalFile, absl::StrCat(local, ": ", std::string(committed.message())));
    }
    std::fprintf(stderr, "%s -> %s (%llu bytes)\n", flags.first.c_str(), local.c_str(),
                 static_cast<unsigned long long>(*size));
    return kExitOk;
  }

  int Put(FileClient& client, const Flags& flags) {
    const std::string& local = flags.first;
    std::string remote = flags.second.empty() ? BaseName(local) : flags.second;
    base::UniqueFd file(::open(local.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!file.valid()) return Fail(kExitLocalFile, base::SyscallError(local, errno).ToString());
    struct stat info;
    if (::fstat(file.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
      return Fail(kExitLocalFile, absl::StrCat(local, ": not a regular file"));
    }
    bool local_failed = false;
    absl::Status put =
        client.Put(remote, static_cast<uint64_t>(info.st_size),
                   [&](char* buf, size_t len) -> absl::StatusOr<size_t> {
                     ssize_t n;
                     do {
                       n = ::read(file.get(), buf, len);
                     } while (n < 0 && errno == EINTR);
                     local_failed = n <= 0;
                     if (n < 0) return base::SyscallError(absl::StrCat("read ", local), errno);
                     return static_cast<size_t>(n);
                   });
    if (!put.ok()) {
      if (local_failed) return Fail(kExitLocalFile, std::string(put.message()));
      return FailCall(client, put);
    }
    std::fprintf(stderr, "%s -> %s (%lld bytes)\n", local.c_str(), remote.c_str(),
                 static_cast<long long>(info.st_size));
    return kExitOk;
  }

  }  // namespace
}  // namespace corral::protocols::file

int main(int argc, char** argv) {
  using namespace corral::protocols::file;
  namespace base = corral::base;
  Flags flags;
  CLI::App app{"corral-file: client of corral-server's file protocol.", "corral-file"};
  app.footer(kExitCodes);
  app.require_subcommand(1);
  app.fallthrough();  // --timeout-ms after the command too
  app.set_version_flag("-V,--version", std::string("corral-file ") + corral::base::kVersion);
  app.add_option("address", flags.address, "server address HOST:PORT")->required();
  app.add_option("--timeout-ms", flags.timeout_ms, "give up on a silent server after this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400'000));
  CLI::App* ls = app.add_subcommand("ls", "list a directory of the served root");
  ls->add_option("DIR", flags.first, "directory relative to the served root (default: root)");
  CLI::App* get = app.add_subcommand("get", "download REMOTE to LOCAL (default: its base name)");
  get->add_option("REMOTE", flags.first, "file relative to the served root")->required();
  get->add_option("LOCAL", flags.second, "local file or directory; - writes to stdout");
  get->add_flag("--force", flags.force, "replace LOCAL if it exists");
  CLI::App* put = app.add_subcommand("put", "upload LOCAL as REMOTE (default: its base name)");
  put->add_option("LOCAL", flags.first, "local file")->required();
  put->add_option("REMOTE", flags.second, "path relative to the served root");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  std::chrono::milliseconds timeout(flags.timeout_ms);
  absl::StatusOr<base::UniqueFd> fd = Connect(flags.address, timeout);
  if (!fd.ok()) {
    return Fail(absl::IsInvalidArgument(fd.status()) ? kExitUsage : kExitNetwork,
                std::string(fd.status().message()));
  }
  corral::net::PollingStream stream(*std::move(fd));
  FileClient client(stream, timeout);
  int code = ls->parsed()    ? List(client, flags)
             : get->parsed() ? Get(client, flags)
                             : Put(client, flags);
  if (code == kExitOk || code == kExitRefused || code == kExitServerError) {
    client.Quit().IgnoreError();  // a courtesy; the answer changes nothing
  }
  return code;
}
