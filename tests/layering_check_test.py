#!/usr/bin/env python3
"""Tests of tests/layering_check.py: each plants one bad include (or link) in a small temporary
tree shaped like the repository's and runs the checker on it as ctest does.

Usage: layering_check_test.py [PATH_TO_layering_check.py]
"""
import os
import subprocess
import sys
import tempfile
import unittest

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layering_check.py")

# A tree that keeps every rule: each layer includes its own and lower ones.
CLEAN = {
    "base/deadline.h": "#pragma once\n#include <chrono>\n",
    "base/io_accounting.h": '#pragma once\n#include "absl/status/status.h"\n',
    "servers/stats/slot_writer.h": '#pragma once\n#include "base/io_accounting.h"\n',
    "servers/net/address.h": "#pragma once\n",
    "servers/net/stream.h": '#pragma once\n#include "base/deadline.h"\n#include "base/io_accounting.h"\n',
    "servers/protocols/tcp_echo.cc": '#include "servers/net/stream.h"\n'
                                     '#include "servers/stats/slot_writer.h"\n',
    "servers/models/serve_connection.cc": '#include "servers/protocols/tcp_echo.h"\n',
    "spec/spec_validation.cc": '#include "servers/net/address.h"\n',
    "examples/handlers/echo/echo.cc": "#include <corral/handler.h>\n",
    "sdk/include/corral/handler.h": "#pragma once\n",
    "tests/servers/net/stream_test.cc": '#include "servers/net/stream.h"\n',
    "servers/stats/CMakeLists.txt": "add_library(corral_stats STATIC slot_writer.cc)\n"
                                    "target_link_libraries(corral_stats PUBLIC corral_base)\n",
    "servers/net/CMakeLists.txt": "add_library(corral_net STATIC stream.cc)\n"
                                  "target_link_libraries(corral_net PUBLIC corral_base)\n",
    "base/CMakeLists.txt": "add_library(corral_base STATIC deadline.cc)\n",
}


class LayeringCheckTest(unittest.TestCase):
    def run_checker(self, changes):
        with tempfile.TemporaryDirectory() as root:
            files = dict(CLEAN)
            files.update(changes)
            for path, text in files.items():
                os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
                with open(os.path.join(root, path), "w", encoding="utf-8") as f:
                    f.write(text)
            result = subprocess.run([sys.executable, CHECKER, root], capture_output=True,
                                    text=True, timeout=60)
            return result.returncode, result.stdout + result.stderr

    def assert_fails_naming(self, changes, *expected):
        code, output = self.run_checker(changes)
        self.assertEqual(code, 1, output)
        for text in expected:
            self.assertIn(text, output)

    def test_a_clean_tree_passes(self):
        code, output = self.run_checker({})
        self.assertEqual(code, 0, output)

    def test_net_including_stats_fails(self):
        self.assert_fails_naming(
            {"servers/net/stream.h": '#pragma once\n#include "servers/stats/slot_writer.h"\n'},
            "servers/net/stream.h includes servers/stats/slot_writer.h")

    def test_base_including_anything_of_ours_fails(self):
        self.assert_fails_naming({"base/deadline.cc": '#include "servers/net/address.h"\n'},
                                 "base/deadline.cc includes servers/net/address.h")

    def test_a_directory_without_a_rule_fails(self):
        # servers/ (top) may include anything in servers/; a new subdirectory must not
        # inherit that.
        self.assert_fails_naming({"servers/newdir/thing.cc": '#include "base/deadline.h"\n'},
                                 "servers/newdir/ has no rule of its own")

    def test_an_example_plugin_beyond_the_sdk_fails(self):
        self.assert_fails_naming(
            {"examples/handlers/echo/echo.cc": '#include "servers/net/stream.h"\n'},
            "examples/handlers/echo/echo.cc includes servers/net/stream.h")

    def test_an_angle_include_of_the_sdk_below_it_fails(self):
        self.assert_fails_naming({"servers/net/socket.cc": "#include <corral/handler.h>\n"},
                                 "servers/net/socket.cc includes corral/handler.h")

    def test_an_exception_header_cannot_smuggle_a_higher_include(self):
        # spec/ may include servers/net/address.h alone of net/; what that header includes is
        # checked against spec/'s rule too.
        self.assert_fails_naming(
            {"servers/net/address.h": '#pragma once\n#include "servers/net/stream.h"\n'},
            "spec/spec_validation.cc includes servers/net/stream.h through "
            "servers/net/address.h")

    def test_a_c_source_is_checked(self):
        self.assert_fails_naming({"bench/peers/bare.c": '#include "tests/support/wait_for.h"\n'},
                                 "bench/peers/bare.c includes tests/support/wait_for.h")

    def test_a_link_to_a_higher_layer_fails(self):
        self.assert_fails_naming(
            {"servers/net/CMakeLists.txt": "add_library(corral_net STATIC stream.cc)\n"
                                           "target_link_libraries(corral_net PUBLIC corral_base\n"
                                           "  corral_stats)\n"},
            "corral_net links corral_stats")


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        CHECKER = sys.argv.pop(1)
    unittest.main()
