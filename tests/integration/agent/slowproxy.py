"""A TCP proxy that holds every new connection for DELAY seconds before it
connects to the target and relays bytes both ways: a slow broker (or a slow
approver) as the agent sees it. Prints "PORT PID" (its own pid: python3 may be a
wrapper script), runs until killed or for LIFETIME_S seconds (default 60).
usage: python3 slowproxy.py TARGET_PORT DELAY_S [LIFETIME_S]"""
import os
import signal
import socket
import sys
import threading
import time


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def handle(client, target, delay):
    time.sleep(delay)
    server = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pipe, args=(client, server), daemon=True).start()
    pipe(server, client)


def main():
    target, delay = int(sys.argv[1]), float(sys.argv[2])
    signal.alarm(int(sys.argv[3]) if len(sys.argv) > 3 else 60)
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", 0))
    lst.listen(16)
    print(lst.getsockname()[1], os.getpid(), flush=True)
    while True:
        client, _ = lst.accept()
        threading.Thread(target=handle, args=(client, target, delay), daemon=True).start()


main()
