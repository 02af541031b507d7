#!/usr/bin/python3
"""demo-rogue.py: what root on the broker host can do, for packaging/demo.sh.

DEMO ONLY. It plays an attacker who has root on the broker host: the broker's
SoftHSM2 token, its PIN file, its client certificate for the co-signer. It
uses no pitlane code; it builds the CBOR itself and signs with pkcs11-tool, as
an attacker would.

  demo-rogue.py mint --module SO --hsm-pin FILE --pubkey PEM --vin VIN --op OP
                     --cnonce HEX --out FILE
      a capability token (COSE_Sign, tag 98, docs/token.md) for the car's
      challenge, signed with the broker's HSM key "broker-signing" in token
      "pitlane-broker" (pkcs11-tool --sign; SOFTHSM2_CONF names the token
      directory): the only signature root on the broker host can make
  demo-rogue.py request --tech-cert PEM --vin VIN --op OP --cnonce HEX
                        --token FILE --out FILE
      a co-signer request (docs/cosigner.md, {1: request, 2: token}) whose
      technician request names the technician's certificate but carries no
      technician signature (64 zero bytes): root has no technician's key
  demo-rogue.py request --from-db BROKER_DB [--cnonce HEX] --token FILE --out FILE
      a co-signer request {1: request, 2: token, 3: approval} built from the
      newest decided approval in the broker's database: the technician's genuine
      signed request and the approver's signed decision, byte for byte; with
      --cnonce the request is edited to name that challenge (its signature no
      longer matches)
  demo-rogue.py problem FILE
      prints the code, status and detail of a concise problem details answer
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization

ALG_ES256 = -7


# ---- a minimal deterministic CBOR encoder/decoder (RFC 8949 preferred) ------
def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError(n)


class Tag:
    def __init__(self, tag, item):
        self.tag, self.item = tag, item


def enc(x):
    if isinstance(x, int):
        return head(0, x) if x >= 0 else head(1, -1 - x)
    if isinstance(x, bytes):
        return head(2, len(x)) + x
    if isinstance(x, str):
        b = x.encode()
        return head(3, len(b)) + b
    if isinstance(x, list):
        return head(4, len(x)) + b"".join(enc(i) for i in x)
    if isinstance(x, dict):  # canonical order: bytewise order of the encoded keys
        items = sorted((enc(k), enc(v)) for k, v in x.items())
        return head(5, len(items)) + b"".join(k + v for k, v in items)
    if isinstance(x, Tag):
        return head(6, x.tag) + enc(x.item)
    raise TypeError(type(x))


def dec(b, i=0):
    ib = b[i]
    major, ai = ib >> 5, ib & 31
    i += 1
    if ai < 24:
        n = ai
    elif ai in (24, 25, 26, 27):
        size = 1 << (ai - 24)
        n = int.from_bytes(b[i:i + size], "big")
        i += size
    else:
        raise ValueError("indefinite or reserved CBOR item")
    if major == 0:
        return n, i
    if major == 1:
        return -1 - n, i
    if major in (2, 3):
        v = b[i:i + n]
        return (v if major == 2 else v.decode()), i + n
    if major == 4:
        out = []
        for _ in range(n):
            v, i = dec(b, i)
            out.append(v)
        return out, i
    if major == 5:
        out = {}
        for _ in range(n):
            k, i = dec(b, i)
            out[k], i = dec(b, i)
        return out, i
    if major == 6:
        v, i = dec(b, i)
        return Tag(n, v), i
    if major == 7 and ai in (20, 21):
        return ai == 21, i
    raise ValueError("unsupported CBOR item")


# ---- the attack -------------------------------------------------------------
def spki_kid(pem_path):
    with open(pem_path, "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    spki = pub.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:8]


def hsm_sign(module, pin_file, digest):
    """ECDSA over a SHA-256 digest with the broker's HSM key: r || s (64 bytes)."""
    with open(pin_file) as f:
        pin = f.read().strip()
    with tempfile.TemporaryDirectory() as d:
        inp, out = os.path.join(d, "digest"), os.path.join(d, "sig")
        with open(inp, "wb") as f:
            f.write(digest)
        subprocess.run(["pkcs11-tool", "--module", module, "--token-label", "pitlane-broker",
                        "--login", "--pin", pin, "--sign", "--mechanism", "ECDSA",
                        "--label", "broker-signing", "--input-file", inp,
                        "--output-file", out], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(out, "rb") as f:
            sig = f.read()
    if len(sig) != 64:
        raise SystemExit("demo-rogue: pkcs11-tool gave %d bytes, not r||s" % len(sig))
    return sig


def cmd_mint(a):
    now = int(time.time())
    claims = {1: "pitlane-broker", 3: a.vin, 4: now + 120, 6: now, 7: os.urandom(16),
              9: a.op, 39: bytes.fromhex(a.cnonce), 40: 60}
    payload = enc(claims)
    prot = enc({1: ALG_ES256, 4: spki_kid(a.pubkey)})  # h'A2 01 26 04 48 kid'
    tbs = enc(["Signature", b"", prot, b"", payload])  # RFC 9052 4.4
    sig = hsm_sign(a.module, a.hsm_pin, hashlib.sha256(tbs).digest())
    tok = enc(Tag(98, [b"", {}, payload, [[prot, {}, sig]]]))
    with open(a.out, "wb") as f:
        f.write(tok)
    print("minted %s for %s, challenge %s...: %d bytes, one signature (broker-signing, kid %s)"
          % (a.op, a.vin, a.cnonce[:16], len(tok), prot[-8:].hex()))


def cmd_request(a):
    if a.from_db:
        return request_from_db(a)
    if not (a.tech_cert and a.vin and a.op and a.cnonce):
        raise SystemExit("demo-rogue: request needs --from-db, or --tech-cert, --vin, --op, --cnonce")
    with open(a.tech_cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read()).public_bytes(
            serialization.Encoding.DER)
    req = {1: a.vin, 2: a.op, 3: bytes.fromhex(a.cnonce), 4: "WO-ROGUE-1",
           5: "root on the broker host", 6: os.urandom(16), 7: int(time.time())}
    signed = enc(Tag(18, [enc({1: ALG_ES256, 33: cert}), {}, enc(req), bytes(64)]))
    with open(a.token, "rb") as f:
        tok = f.read()
    with open(a.out, "wb") as f:
        f.write(enc({1: signed, 2: tok}))
    print("request for %s on %s in the name of %s: the technician's signature is 64 zero bytes"
          % (a.op, a.vin, x509.load_der_x509_certificate(cert).subject.rfc4514_string()))


def request_from_db(a):
    import sqlite3
    db = sqlite3.connect("file:%s?mode=ro" % a.from_db, uri=True)
    row = db.execute("SELECT request, decision FROM approvals WHERE request IS NOT NULL "
                     "AND decision IS NOT NULL ORDER BY rowid DESC LIMIT 1").fetchone()
    if row is None:
        raise SystemExit("demo-rogue: no decided approval in %s" % a.from_db)
    req, decision = bytes(row[0]), bytes(row[1])
    msg, _ = dec(req)
    claims, _ = dec(msg.item[2])
    what = "%s's genuine signed request for %s on %s" % (
        x509.load_der_x509_certificate(dec(msg.item[0])[0][33]).subject.get_attributes_for_oid(
            x509.NameOID.COMMON_NAME)[0].value, claims[2], claims[1])
    if a.cnonce:
        claims[3] = bytes.fromhex(a.cnonce)
        req = enc(Tag(18, [msg.item[0], {}, enc(claims), msg.item[3]]))
        what += ", edited to name the car's challenge %s... (signature kept)" % a.cnonce[:16]
    else:
        what += ", unchanged"
    with open(a.token, "rb") as f:
        tok = f.read()
    with open(a.out, "wb") as f:
        f.write(enc({1: req, 2: tok, 3: decision}))
    print("from the broker's database: %s, and the approver's signed decision" % what)


def cmd_problem(a):
    with open(a.file, "rb") as f:
        body = f.read()
    try:
        p, _ = dec(body)
        ext = p.get("tag:pitlane.dev,2025:problem", {})
        print("status=%s code=%s%s detail=%s" % (
            p.get(-4), ext.get("code"),
            " rule=%s" % ext["rule"] if "rule" in ext else "", p.get(-2, p.get(-1))))
    except (ValueError, IndexError, AttributeError, UnicodeDecodeError):
        print("not problem details: %d bytes %s" % (len(body), body[:32].hex()))
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description="DEMO ONLY: root on the broker host")
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("mint")
    for o in ("--module", "--hsm-pin", "--pubkey", "--vin", "--op", "--cnonce", "--out"):
        m.add_argument(o, required=True)
    r = sub.add_parser("request")
    for o in ("--token", "--out"):
        r.add_argument(o, required=True)
    for o in ("--tech-cert", "--vin", "--op", "--cnonce", "--from-db"):
        r.add_argument(o)
    p = sub.add_parser("problem")
    p.add_argument("file")
    a = ap.parse_args()
    return {"mint": cmd_mint, "request": cmd_request, "problem": cmd_problem}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
