#!/usr/bin/python3
"""gevent peers for bench/compare (run with Debian's /usr/bin/python3, which has gevent).

Usage: gevent_peer.py KIND PORT
  KIND: StreamServer (TCP echo) | DatagramServer (UDP echo) | pywsgi (HTTP, a fixed 14-byte body)
Binds 127.0.0.1:PORT (0 picks a free port) and prints the bound port as the first stdout line.
"""
from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402

from gevent import pywsgi  # noqa: E402
from gevent.server import DatagramServer, StreamServer  # noqa: E402

BODY = b"Hello, world!\n"  # 14 bytes, the same as the small file the others serve


def tcp_echo(sock, _address):
    while True:
        data = sock.recv(65536)
        if not data:
            return
        sock.sendall(data)


class UdpEcho(DatagramServer):
    def handle(self, data, address):
        self.socket.sendto(data, address)


def app(_environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "14")])
    return [BODY]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    address = ("127.0.0.1", int(sys.argv[2]))
    kind = sys.argv[1]
    if kind == "StreamServer":
        server = StreamServer(address, tcp_echo, backlog=1024)
    elif kind == "DatagramServer":
        server = UdpEcho(address)
    elif kind == "pywsgi":
        server = pywsgi.WSGIServer(address, app, log=None, backlog=1024)
    else:
        sys.exit(__doc__)
    server.start()
    print(server.address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
