#!/usr/bin/python3
"""bench/compare's verdicts (issue 26): a row where some load connection never got an answer
fails its targets whatever its rate, and a pool row also fails below its slowest-share floor.

Usage: compare_verdict_test.py [PATH to bench/compare]   (ctest runs it on the tree's own)
"""
import importlib.machinery
import importlib.util
import os
import sys
import unittest

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare")


def load(path):
    loader = importlib.machinery.SourceFileLoader("bench_compare", path)
    spec = importlib.util.spec_from_loader("bench_compare", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def run(figure, answered, share, connections=50):
    return {"figure": figure, "unit": "req/s", "p99": "1ms", "answered": answered,
            "connections": connections, "share": share}


class VerdictTest(unittest.TestCase):
    compare = None

    def workload(self):
        c = self.compare
        pool = c.corral("http", "fork", "--pool-size", "2", label="corral fork pool")
        return c.Workload("http 14B keep-alive", "http", [pool, c.NGINX], "nginx",
                          [("corral fork pool", "nginx", 0.5)],
                          min_share={"corral fork pool": 0.25})

    def target_cell(self, pool_runs):
        runs = {"corral fork pool": pool_runs,
                "nginx": [run(30000, 50, 0.9) for _ in pool_runs]}
        rows = self.compare.table_rows(self.workload(), runs)
        pool_row = next(r for r in rows if r[1] == "corral fork pool")
        return pool_row[-2], pool_row[-1]  # got, note

    def test_fast_row_with_unanswered_connections_fails(self):
        # The measurement: 46k req/s from 2 of 50 connections.
        got, note = self.target_cell([run(46000, 2, 0.0)])
        self.assertIn("FAIL", got)
        self.assertIn("48 of 50 connections never answered", note)

    def test_one_starved_round_fails_the_row(self):
        got, note = self.target_cell([run(40000, 50, 0.8), run(46000, 49, 0.0),
                                      run(41000, 50, 0.7)])
        self.assertIn("FAIL", got)
        self.assertIn("1 of 50", note)

    def test_pool_below_its_share_floor_fails(self):
        got, note = self.target_cell([run(40000, 50, 0.1)])
        self.assertIn("FAIL", got)
        self.assertIn("slowest connection at 0.10", note)

    def test_fair_fast_row_passes(self):
        got, _ = self.target_cell([run(40000, 50, 0.8)])
        self.assertIn("pass", got)

    def share_peer_cell(self, pool_share, peer_share):
        c = self.compare
        pool = c.corral("http", "thread", "--pool-size", "2", label="corral thread pool")
        peer = c.bare("bare-thread-http")
        workload = c.Workload("http 14B keep-alive", "http", [pool, c.NGINX, peer], "nginx",
                              [("corral thread pool", "nginx", 0.5)],
                              min_share={"corral thread pool": 0.25},
                              share_peers={"corral thread pool": "bare-thread-http"})
        runs = {"corral thread pool": [run(40000, 50, pool_share)],
                "nginx": [run(30000, 50, 0.9)], "bare-thread-http": [run(45000, 50, peer_share)]}
        row = next(r for r in c.table_rows(workload, runs) if r[1] == "corral thread pool")
        return row[-2], row[-1]

    def test_pool_share_floor_follows_its_bare_peer_down(self):
        # A thread per connection in C at 0.15 in the same run: the scheduler's share, not the
        # pool's doing; the floor is 0.8x that.
        got, note = self.share_peer_cell(0.20, 0.15)
        self.assertIn("pass", got)
        self.assertEqual(note, "")

    def test_a_fair_peer_does_not_raise_the_floor(self):
        got, note = self.share_peer_cell(0.20, 0.90)
        self.assertIn("FAIL", got)
        self.assertIn("(< 0.25)", note)

    def test_a_starved_pool_fails_beside_an_unfair_peer(self):
        got, note = self.share_peer_cell(0.01, 0.15)
        self.assertIn("FAIL", got)
        self.assertIn("(< 0.12)", note)

    def test_table_shows_connections_and_share(self):
        runs = {"corral fork pool": [run(46000, 2, 0.0)], "nginx": [run(30000, 50, 0.9)]}
        rows = self.compare.table_rows(self.workload(), runs)
        self.assertIn("2/50", rows[0])
        self.assertIn("0.00", rows[0])


if __name__ == "__main__":
    VerdictTest.compare = load(sys.argv.pop(1) if len(sys.argv) > 1 else PATH)
    unittest.main()
