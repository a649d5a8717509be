#!/usr/bin/python3
"""Python socketserver echo peers for bench/compare.

Usage: socketserver_peer.py KIND PORT
  KIND: ThreadingTCPServer | ForkingTCPServer | UDPServer | ThreadingUDPServer | ForkingUDPServer
Binds 127.0.0.1:PORT (0 picks a free port) and prints the bound port as the first stdout line.
The handlers are the textbook ones: what a Python programmer would write in five minutes.
"""
import socketserver
import sys


class TcpEcho(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        while True:
            data = sock.recv(65536)
            if not data:
                return
            sock.sendall(data)


class UdpEcho(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)


KINDS = {
    "ThreadingTCPServer": (socketserver.ThreadingTCPServer, TcpEcho),
    "ForkingTCPServer": (socketserver.ForkingTCPServer, TcpEcho),
    "UDPServer": (socketserver.UDPServer, UdpEcho),
    "ThreadingUDPServer": (socketserver.ThreadingUDPServer, UdpEcho),
    "ForkingUDPServer": (socketserver.ForkingUDPServer, UdpEcho),
}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in KINDS:
        sys.exit(__doc__)
    server_class, handler = KINDS[sys.argv[1]]
    server_class.allow_reuse_address = True
    server_class.daemon_threads = True
    server_class.request_queue_size = 1024
    server = server_class(("127.0.0.1", int(sys.argv[2])), handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
