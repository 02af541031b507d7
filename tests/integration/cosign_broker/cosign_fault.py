#!/usr/bin/python3
"""A stand-in for pitlane-cosignd that fails on purpose (fault injection for
tests/integration/cosign_broker; the real daemon cannot be made to hang or to
show the wrong key). Prints "port=N" once it listens, then serves until killed.

  cosign_fault.py hang                 TCP: accepts and never answers
  cosign_fault.py tls CERT KEY         TLS 1.3 with CERT/KEY (a key other than the pin: pin mismatch)
  cosign_fault.py refuse CERT KEY CODE TLS 1.3, answers 403 with the broker's problem format, code CODE
  cosign_fault.py sign CERT KEY SIGNKEY  TLS 1.3, answers a COSE_Signature by SIGNKEY (a stand-in
                                         co-signer that checks nothing: only where no real one runs)
  cosign_fault.py junk CERT KEY        TLS 1.3, answers 200 with bytes that are no COSE_Signature
  cosign_fault.py busy CERT KEY        TLS 1.3, answers 503 busy (problem details, retry-after 7)
With COSIGN_FAULT_RECORD=FILE every request body received is written to FILE (the last wins).
"""
import hashlib
import os
import socket
import ssl
import sys
import threading
import time


def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 256:
        return bytes([major << 5 | 24, n])
    if n < 65536:
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")
    return bytes([major << 5 | 26]) + n.to_bytes(4, "big")


def cbor(v):
    if isinstance(v, bool):
        raise TypeError
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return cbor_head(3, len(b)) + b
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return cbor_head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError


def read_head(b, i):
    ib = b[i]
    major, ai = ib >> 5, ib & 31
    if ai < 24:
        return major, ai, i + 1
    n = {24: 1, 25: 2, 26: 4, 27: 8}[ai]
    return major, int.from_bytes(b[i + 1:i + 1 + n], "big"), i + 1 + n


def token_payload(tok):
    """The payload bstr of a tag-98 COSE_Sign: 98([h'', {}, payload, [...]])."""
    major, tag, i = read_head(tok, 0)
    assert major == 6 and tag == 98
    major, n, i = read_head(tok, i)
    assert major == 4 and n == 4
    major, n, i = read_head(tok, i)
    i += n
    major, n, i = read_head(tok, i)
    assert major == 5 and n == 0
    major, n, i = read_head(tok, i)
    return tok[i:i + n]


def request_token(body):
    """Key 2 of the cosign-request map."""
    major, n, i = read_head(body, 0)
    out = {}
    for _ in range(n):
        _, k, i = read_head(body, i)
        _, ln, i = read_head(body, i)
        out[k] = body[i:i + ln]
        i += ln
    return out[2]


def cose_signature(signkey, payload):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    key = serialization.load_pem_private_key(open(signkey, "rb").read(), None)
    pub = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = hashlib.sha256(pub).digest()[:8]
    prot = bytes([0xA2, 0x01, 0x26, 0x04, 0x48]) + kid
    tbs = cbor(["Signature", b"", prot, b"", payload])
    r, s = decode_dss_signature(key.sign(tbs, ec.ECDSA(hashes.SHA256())))
    return cbor([prot, {}, r.to_bytes(32, "big") + s.to_bytes(32, "big")])


def problem(code, status=403):
    custom = {"code": code, "rule": "test"} if status == 403 else {"code": code, "retry-after": 7}
    return cbor({-1: "Forbidden" if status == 403 else "Service Unavailable",
                 -2: "test co-signer refuses: " + code, -4: status,
                 "tag:pitlane.dev,2025:problem": custom})


def http_serve(conn, mode, args):
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            d = conn.recv(65536)
            if not d:
                return
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(buf) < length:
            d = conn.recv(65536)
            if not d:
                return
            buf += d
        body, buf = buf[:length], buf[length:]
        if os.environ.get("COSIGN_FAULT_RECORD"):
            with open(os.environ["COSIGN_FAULT_RECORD"] + ".tmp", "wb") as f:
                f.write(body)
            os.replace(os.environ["COSIGN_FAULT_RECORD"] + ".tmp", os.environ["COSIGN_FAULT_RECORD"])
        if mode == "refuse":
            out, st, ct = problem(args[2]), "403 Forbidden", "application/concise-problem-details+cbor"
        elif mode == "busy":
            out, st, ct = (problem("busy", 503), "503 Service Unavailable",
                           "application/concise-problem-details+cbor")
        elif mode == "junk":
            out, st, ct = b"\x83\x01\x02", "200 OK", "application/cose"
        else:
            out = cose_signature(args[2], token_payload(request_token(body)))
            st, ct = "200 OK", "application/cose"
        conn.sendall(b"HTTP/1.1 " + st.encode() + b"\r\nContent-Type: " + ct.encode() +
                     b"\r\nContent-Length: " + str(len(out)).encode() + b"\r\n\r\n" + out)


def serve_one(conn, ctx, mode, args):
    try:
        if mode == "hang":
            while conn.recv(65536):
                pass
            return
        tls = ctx.wrap_socket(conn, server_side=True)
        if mode == "tls":
            while tls.recv(65536):
                pass
            return
        http_serve(tls, mode, args)
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    ctx = None
    if mode != "hang":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        ctx.load_cert_chain(args[0], args[1])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    print("port=%d" % s.getsockname()[1], flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve_one, args=(conn, ctx, mode, args), daemon=True).start()


if __name__ == "__main__":
    main()
