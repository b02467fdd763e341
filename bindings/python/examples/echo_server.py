#!/usr/bin/env python3
"""A TCP echo server on 127.0.0.1 built on repoll (Python twin of
examples_c/echo_server.c).

    echo_server.py [PORT]         serve until interrupted (Ctrl-C)
    echo_server.py --demo         serve on a free port, drive it with 3 clients
                                  from a thread, print what happened
    echo_server.py --self-test    the demo, quietly (used by the test suite)

Level-triggered and never blocking: each connection is registered with its
own socket as key and a small integer as data; bytes the peer is not ready
to take are kept, and the connection waits for OUT instead of IN until they
are gone (so a slow reader cannot make the server buffer without bound).
Another thread stops the server with a flag and Poller.wake().
"""
import os
import socket
import sys
import threading

try:
    import repoll
except ImportError:  # run from the source tree: repoll.py is one level up
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import repoll

LISTENER = 2**64 - 1  # data for the listening socket


class EchoServer:
    def __init__(self, port=0, verbose=True):
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.verbose = verbose
        self.poller = repoll.Poller(maxevents=64)
        self.conns = {}  # data -> [socket, pending bytes]
        self.next_id = 0
        self.stopping = False

    def log(self, *args):
        if self.verbose:
            print("server:", *args, flush=True)

    def stop(self):
        """Callable from any thread."""
        self.stopping = True
        self.poller.wake()

    def serve(self):
        with self.poller, self.listener:
            self.poller.register(self.listener, repoll.IN, LISTENER)
            while not self.stopping:
                for data, events in self.poller.wait():
                    if data == LISTENER:
                        self.accept()
                    elif events & repoll.WAKE:
                        pass  # stop() was called: the loop condition says so
                    else:
                        self.serve_conn(data, events)
            for data in list(self.conns):
                self.drop(data)

    def accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except BlockingIOError:
                return
            sock.setblocking(False)
            data, self.next_id = self.next_id, self.next_id + 1
            self.conns[data] = [sock, b""]
            self.poller.register(sock, repoll.IN, data)
            self.log(f"connection {data} accepted")

    def drop(self, data):
        sock, _ = self.conns.pop(data)
        self.poller.unregister(sock)
        sock.close()
        self.log(f"connection {data} closed")

    def serve_conn(self, data, events):
        conn = self.conns[data]
        sock = conn[0]
        if not conn[1] and events & (repoll.IN | repoll.HUP | repoll.ERR):
            try:
                chunk = sock.recv(4096)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.drop(data)
                return
            conn[1] = chunk
        try:
            sent = sock.send(conn[1])
        except BlockingIOError:
            sent = 0
        except OSError:
            self.drop(data)
            return
        conn[1] = conn[1][sent:]
        self.poller.modify(sock, repoll.OUT if conn[1] else repoll.IN, data)


def echo_once(sock, msg):
    sock.sendall(msg)
    got = b""
    while len(got) < len(msg):
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    return got == msg


def demo(verbose):
    server = EchoServer(0, verbose)
    if verbose:
        print(f"repoll {repoll.version()}: echo server on 127.0.0.1:{server.port}")
    thread = threading.Thread(target=server.serve)
    thread.start()
    exchanges = failures = 0
    try:
        clients = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(3)]
        for rnd in range(4):
            for c, sock in enumerate(clients):
                msg = f"hello {rnd} from client {c}".encode()
                if echo_once(sock, msg):
                    exchanges += 1
                    if verbose:
                        print(f"client {c}: sent {msg.decode()!r}, got it back")
                else:
                    failures += 1
        big = os.urandom(1 << 20)  # more than the socket buffers: exercises OUT
        exchanges += echo_once(clients[0], big)
        for sock in clients:
            sock.close()
    finally:
        server.stop()
        thread.join(30)
    print(f"echo demo: {exchanges} exchanges echoed, {failures} failed")
    return 0 if failures == 0 and exchanges == 13 and not thread.is_alive() else 1


def main(argv):
    if argv[1:2] == ["--self-test"]:
        return demo(verbose=False)
    if argv[1:2] == ["--demo"]:
        return demo(verbose=True)
    server = EchoServer(int(argv[1]) if len(argv) > 1 else 7777)
    print(f"echo server on 127.0.0.1:{server.port} (try: nc 127.0.0.1 {server.port})", flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
