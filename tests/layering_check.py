#!/usr/bin/env python3
"""Fails when a layer includes (or links) something of a layer above it.

Usage: layering_check.py SOURCE_ROOT

The layers, lowest first (docs/design.md, decision 16):
  base/                 owned descriptors, syscall errors, deadlines, hex, the agent's home path,
                        the I/O accounting hook
  servers/stats, coro, net
                        the scoreboard; the greenlet runtime; addresses, sockets, the Stream
                        interface (net/ counts through base::IoAccounting, which stats/ implements)
  servers/cooperative   park-or-block helpers over coro (the handler SDK's cooperative calls)
  spec/                 the ServerSpec's defaults, validation and flags
  servers/protocols     handlers written once for every model
  servers/models        how a connection gets a worker
  servers/handler       handler plugins: loader, host table, protocol adapters
  sdk/, examples/       the plugin SDK's headers, and plugins built with them alone
  servers/ (top)        corral-server
  agent/, ctl/          the supervisor and its client
  tests/, bench/, fuzz/ may use every layer (and their own helpers); nothing uses them

Each rule lists the include prefixes of this repository a directory may use (a prefix may name
one header: an exception). System and third-party headers are not checked. The checks:
  - every directory holding C or C++ sources has a rule of its own (a rule covers the files
    directly in its directory, and its subdirectories only where SUBTREES says so), so a new
    directory cannot inherit a looser rule from its parent;
  - every own include ("..." or <corral/...>) of a file is allowed by the file's rule, and so is
    everything that include reaches in turn (an exception header cannot smuggle in its own
    includes);
  - every library of ours a CMake target links is defined in a directory its rule allows.
"""
import os
import re
import sys

OWN = ("base/", "servers/", "agent/", "ctl/", "spec/", "corral/", "tests/", "bench/", "fuzz/",
       "sdk/", "examples/")
SOURCES = (".h", ".cc", ".hpp", ".c")
SKIP = {"build", ".git", ".ci"}  # build trees and CI state are not sources

# The SDK's headers, as a plugin includes them (-I sdk/include).
SDK = ["corral/handler.h", "corral/handler.hpp", "corral/handler_entry.hpp",
       "corral/cooperative.hpp", "corral/http.hpp"]
PROTO = "corral/v1/"  # the generated messages and services (proto/corral/v1)
PROTOCOLS = ["base/", "servers/net/", "servers/stats/", "servers/protocols/",
             "servers/server_kinds.h", "spec/", PROTO]

RULES = {
    "base/": ["base/"],
    "servers/stats/": ["base/", "servers/stats/"],
    "servers/coro/": ["base/", "servers/coro/"],
    "servers/net/": ["base/", "servers/net/"],
    "servers/cooperative/": ["base/", "servers/coro/", "servers/cooperative/"],
    # The scoreboard's layout (its slot count bounds --max-workers) and the address parser.
    "spec/": ["base/", "spec/", PROTO, "servers/server_kinds.h", "servers/net/address.h",
              "servers/stats/"],
    "servers/protocols/": PROTOCOLS,
    "servers/protocols/http/": PROTOCOLS,
    "servers/protocols/file/": PROTOCOLS,
    # The exec protocol waits for its program on the coroutine hub's poller (a greenlet must
    # not block its hub), so it alone of the protocols may use the greenlet runtime.
    "servers/protocols/exec/": PROTOCOLS + ["servers/coro/"],
    "servers/models/": ["base/", "servers/net/", "servers/stats/", "servers/coro/",
                        "servers/protocols/", "servers/models/", "servers/server_kinds.h",
                        "spec/", PROTO],
    "servers/handler/": ["base/", "servers/net/", "servers/stats/", "servers/coro/",
                         "servers/cooperative/", "servers/protocols/", "servers/handler/",
                         "servers/server_kinds.h", "spec/", PROTO] + SDK,
    # The SDK includes only itself: "corral/handler.h" from handler.hpp, and so on.
    "sdk/": SDK,
    # An example plugin builds against the SDK alone, as a user's would.
    "examples/": SDK,
    "servers/": ["base/", "servers/", "spec/", PROTO] + SDK,
    "agent/procfs/": ["base/", "agent/procfs/"],
    # The web dashboard: a client of the agent's own API, with the agent's tokens and roles.
    "agent/dashboard/": ["base/", "agent/dashboard/", "agent/token_file.h",
                         "agent/caller_access.h", PROTO, "servers/net/address.h",
                         "servers/net/socket.h"],
    "agent/logger/": ["base/", "agent/logger/"],
    "agent/": ["base/", "agent/", "spec/", PROTO, "servers/stats/", "servers/net/address.h",
               "servers/net/socket.h", "servers/net/receive_buffer.h", "servers/server_kinds.h",
               "servers/exit_codes.h", "servers/readiness.h"],
    "ctl/": ["base/", "ctl/", "spec/", PROTO],
    "tests/": ["base/", "servers/", "agent/", "ctl/", "spec/", "corral/", "tests/"],
    "bench/": ["base/", "servers/", "agent/", "spec/", "corral/", "bench/"],
    "fuzz/": ["base/", "servers/", "agent/", "spec/", "corral/", "fuzz/"],
}
# Rules that also cover every directory below their own.
SUBTREES = {"tests/", "bench/", "fuzz/", "examples/", "sdk/"}

INCLUDE = re.compile(r'^\s*#\s*include\s+(?:"([^"]+)"|<(corral/[^>]+)>)', re.M)
ADD_LIBRARY = re.compile(r'add_library\(\s*([\w.-]+)')
LINK = re.compile(r'target_link_libraries\(\s*([\w.-]+)([^)]*)\)', re.S)


def rule_for(path):
    """The rule of `path` (a file or a directory ending in "/"): the most specific key."""
    best = None
    for key in RULES:
        if path.startswith(key) and (best is None or len(key) > len(best)):
            best = key
    return best


def covers(rule, directory):
    """True when `rule` is the rule of files directly in `directory` ("a/b/")."""
    return rule is not None and (rule == directory or rule in SUBTREES)


def allowed(rule, included):
    return included.startswith(tuple(RULES[rule]))


def walk(root):
    """Every source file and CMakeLists.txt under root, relative to it."""
    sources, cmake = [], []
    for dirpath, dirnames, names in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP and not d.startswith("build"))
        for name in sorted(names):
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            if name.endswith(SOURCES):
                sources.append(rel)
            elif name == "CMakeLists.txt":
                cmake.append(rel)
    return sources, cmake


def own_includes(root, path, cache):
    if path not in cache:
        try:
            with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            text = ""  # generated (corral/v1/*.pb.h, base/version.h) or outside the tree
        cache[path] = [q or a for q, a in INCLUDE.findall(text) if (q or a).startswith(OWN)]
    return cache[path]


def resolve(root, included):
    """The file an own include names, relative to root (the SDK's live under sdk/include)."""
    if included.startswith("corral/") and os.path.exists(os.path.join(root, "sdk/include",
                                                                      included)):
        return "sdk/include/" + included
    return included


def check_includes(root, sources):
    violations, cache = [], {}
    for path in sources:
        directory = os.path.dirname(path) + "/"
        rule = rule_for(directory)
        if not covers(rule, directory):
            violations.append(f"{directory} has no rule of its own in tests/layering_check.py "
                              f"(RULES): say which layers it may include")
            continue
        # Breadth-first through the own includes and, past a header of another rule (a lower
        # layer, an exception), through its includes too: a direct include that breaks the
        # rule is reported as such; one reached through an allowed header names the path.
        seen, queue = set(), [(included, []) for included in own_includes(root, path, cache)]
        while queue:
            included, via = queue.pop(0)
            if included in seen:
                continue
            seen.add(included)
            if not allowed(rule, included):
                through = f" through {' -> '.join(via)}" if via else ""
                violations.append(f"{path} includes {included}{through} ({rule} may include "
                                  f"only {', '.join(RULES[rule])})")
                continue
            target = resolve(root, included)
            if rule_for(os.path.dirname(target) + "/") == rule:
                continue  # a header under the same rule: its own includes are checked as its own
            queue.extend((next_include, via + [included])
                         for next_include in own_includes(root, target, cache))
    return violations


def check_links(root, cmake):
    texts = {}
    for path in cmake:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            texts[path] = re.sub(r"#[^\n]*", "", f.read())
    libraries = {}  # our library target -> the directory that defines it ("servers/net/")
    for path, text in texts.items():
        for name in ADD_LIBRARY.findall(text):
            libraries[name] = os.path.dirname(path) + "/"
    # What a library's directory is called in an include: the generated protos are
    # "corral/v1/...", the SDK's headers "corral/...".
    names = {"proto/": [PROTO], "sdk/": SDK}
    violations = []
    for path, text in texts.items():
        directory = os.path.dirname(path) + "/"
        rule = rule_for(directory)
        if rule is None:
            continue  # the root and proto/: they define no code of ours that links up
        for target, items in LINK.findall(text):
            for item in items.split():
                home = libraries.get(item)
                if home is None or home == directory:
                    continue
                # A library's directory is allowed when the rule allows the directory, or a
                # header in it (spec/ may include servers/net/address.h, so link corral_address).
                if not any(h.startswith(p) or p.startswith(h) for h in names.get(home, [home])
                           for p in RULES[rule]):
                    violations.append(f"{path}: {target} links {item} (defined in {home}); "
                                      f"{rule} may use only {', '.join(RULES[rule])}")
    return violations


def main():
    if len(sys.argv) != 2:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    root = sys.argv[1]
    sources, cmake = walk(root)
    violations = check_includes(root, sources) + check_links(root, cmake)
    for v in violations:
        print(v)
    if violations:
        print(f"{len(violations)} include(s) or link(s) reach a higher layer or have no rule; "
              f"see tests/layering_check.py")
        return 1
    print(f"layering: the {len(sources)} sources and {len(cmake)} CMake files stay within "
          f"their layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
