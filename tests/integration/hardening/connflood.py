#!/usr/bin/python3
"""Connection-level clients for the hardening tests (test_conn_*.sh); loopback only.

  connflood.py flood HOST PORT SOURCE COUNT SECONDS [RATE]
      Opens up to COUNT TCP connections from SOURCE (127.0.0.0/8) without a
      certificate, each sending one byte of a TLS ClientHello about once a second
      (a trickle), and reopens those the server closes, for SECONDS, opening at
      most RATE connections a second (default 500). Prints
      "opened=N closed_by_server=N max_open=N end_open=N".
  connflood.py hold HOST PORT SOURCE COUNT WAIT
      Opens COUNT idle connections from SOURCE, waits WAIT seconds, prints
      "open=N closed=N" (those the server has not / has closed).
  connflood.py trickle HOST PORT SOURCE INTERVAL LIMIT [CACERT CERT KEY]
      One connection sending a byte every INTERVAL seconds: of a ClientHello, or
      with CERT, of an HTTP request after a full TLS handshake. Prints
      "closed_after=S" (seconds from connect) or "open_after=LIMIT".
  connflood.py keepalive HOST PORT CACERT CERT KEY INTERVAL LIMIT
      One TLS connection sending GET /v1/health every INTERVAL seconds until the
      server closes it or LIMIT seconds pass. Prints one line per request,
      "t=S status=N", then "closed_after=S" or "open_after=LIMIT".
"""
import os
import resource
import selectors
import socket
import ssl
import sys
import time

# The first bytes of a TLS 1.3 ClientHello record: handshake, TLS 1.0 record
# version, a length the trickle never completes.
HELLO = bytes([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]) + bytes(500)


def loopback(addr):
    if not addr.startswith("127."):
        sys.exit("connflood: only 127.0.0.0/8 addresses")


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, n + 64))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def connect_nb(host, port, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.bind((source, 0))
    try:
        s.connect((host, port))
    except BlockingIOError:
        pass
    return s


def closed_by_peer(s):
    try:
        data = s.recv(4096, socket.MSG_DONTWAIT)
        return data == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def flood(host, port, source, count, seconds, rate):
    raise_nofile(count)
    sel = selectors.DefaultSelector()
    conns = {}          # socket -> bytes sent
    opened = closed = max_open = 0
    start = time.monotonic()
    end = start + seconds
    next_tick = start
    while time.monotonic() < end:
        # top up, at most RATE new connections a second
        allowed = int(rate * (time.monotonic() - start)) + 1 - opened
        for _ in range(min(allowed, count - len(conns))):
            try:
                s = connect_nb(host, port, source)
            except OSError:
                break
            conns[s] = 0
            sel.register(s, selectors.EVENT_READ)
            opened += 1
        max_open = max(max_open, len(conns))
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            if closed_by_peer(s):
                sel.unregister(s)
                s.close()
                del conns[s]
                closed += 1
        if time.monotonic() >= next_tick:
            next_tick += 1.0
            for s in list(conns):
                n = conns[s]
                try:
                    s.send(HELLO[n % len(HELLO):n % len(HELLO) + 1])
                    conns[s] = n + 1
                except (BlockingIOError, OSError):
                    pass
    end_open = len(conns)
    for s in conns:
        s.close()
    print(f"opened={opened} closed_by_server={closed} max_open={max_open} end_open={end_open}")


def hold(host, port, source, count, wait):
    raise_nofile(count)
    socks = [connect_nb(host, port, source) for _ in range(count)]
    time.sleep(wait)
    closed = sum(1 for s in socks if closed_by_peer(s))
    print(f"open={count - closed} closed={closed}")
    for s in socks:
        s.close()


def tls_connect(host, port, cacert, cert, key, source="127.0.0.1"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(cacert)
    ctx.load_cert_chain(cert, key)
    ctx.check_hostname = False
    raw = socket.create_connection((host, port), timeout=10, source_address=(source, 0))
    return ctx.wrap_socket(raw)


def wait_closed(s, start, interval, limit, payload):
    n = 0
    s.settimeout(interval)
    while time.monotonic() - start < limit:
        try:
            if s.recv(1) == b"":
                return time.monotonic() - start
        except (socket.timeout, TimeoutError):
            pass
        except (OSError, ssl.SSLError):
            return time.monotonic() - start
        try:
            s.send(payload[n % len(payload):n % len(payload) + 1])
            n += 1
        except (OSError, ssl.SSLError):
            return time.monotonic() - start
    return None


def trickle(host, port, source, interval, limit, tls=None):
    start = time.monotonic()
    if tls is None:
        s = socket.create_connection((host, port), timeout=10, source_address=(source, 0))
        payload = HELLO
    else:
        s = tls_connect(host, port, *tls, source=source)
        payload = b"GET /v1/health HTTP/1.1\r\nHost: broker\r\nX-Pad: " + b"a" * 400
    t = wait_closed(s, start, interval, limit, payload)
    print(f"closed_after={t:.2f}" if t is not None else f"open_after={limit}")


def keepalive(host, port, cacert, cert, key, interval, limit):
    start = time.monotonic()
    s = tls_connect(host, port, cacert, cert, key)
    s.settimeout(5)
    buf = b""
    while time.monotonic() - start < limit:
        try:
            s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: broker\r\n\r\n")
            while b"\r\n\r\n" not in buf:
                d = s.recv(4096)
                if not d:
                    raise ConnectionError
                buf += d
            head, _, rest = buf.partition(b"\r\n\r\n")
            status = int(head.split()[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    length = int(v)
            while len(rest) < length:
                d = s.recv(4096)
                if not d:
                    raise ConnectionError
                rest += d
            buf = rest[length:]
            print(f"t={time.monotonic() - start:.2f} status={status}", flush=True)
        except (OSError, ssl.SSLError, ConnectionError, ValueError, IndexError):
            print(f"closed_after={time.monotonic() - start:.2f}", flush=True)
            return
        time.sleep(interval)
    print(f"open_after={limit}", flush=True)


def main(a):
    if len(a) < 4:
        sys.exit(__doc__)
    mode, host, port = a[0], a[1], int(a[2])
    loopback(host)
    if mode == "flood":
        loopback(a[3])
        flood(host, port, a[3], min(int(a[4]), 20000), min(float(a[5]), 60),
              min(float(a[6]), 5000) if len(a) > 6 else 500)
    elif mode == "hold":
        loopback(a[3])
        hold(host, port, a[3], min(int(a[4]), 5000), min(float(a[5]), 30))
    elif mode == "trickle":
        loopback(a[3])
        trickle(host, port, a[3], float(a[4]), min(float(a[5]), 60),
                tuple(a[6:9]) if len(a) >= 9 else None)
    elif mode == "keepalive":
        keepalive(host, port, a[3], a[4], a[5], float(a[6]), min(float(a[7]), 60))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
