#!/usr/bin/python3
"""http.server.ThreadingHTTPServer serving a directory, for bench/compare.

Usage: http_server_peer.py PORT ROOT
Speaks HTTP/1.1 (keep-alive, as wrk expects) and logs nothing, so the comparison measures
serving, not logging. Prints the bound port as the first stdout line.
"""
import functools
import http.server
import sys


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    handler = functools.partial(QuietHandler, directory=sys.argv[2])
    http.server.ThreadingHTTPServer.request_queue_size = 1024
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
