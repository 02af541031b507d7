#!/usr/bin/python3
"""Two-signature (COSE_Sign, tag 98) vectors for lib/token, made without lib/token.

Written from RFC 9052 sections 4.1 and 4.4 and docs/token.md with Python's
`cryptography` (Debian python3-cryptography) and a small CBOR encoder of its
own, so a shared misreading of the Sig_structure between the C encoder and
the C verifier cannot hide. The keys are fixed (derived from their names);
ECDSA signatures are randomised, so the output differs from run to run:
the generated file is committed (multisig.tsv) and `--check` verifies the
committed file's signatures and structure against its keys.

Output (tab-separated):
  key  NAME  ROLE  PUB_HEX(04||x||y)  KID_HEX
  vec  NAME  OP  EXPECTED  TOKEN_HEX
EXPECTED is "ok" or the lib/token error name (docs/token.md section 7) the
verifier must return with the trust store of every "key" line whose ROLE is
not "unknown" and the thresholds
  ignition.enable, key.learn: broker 1 + cosigner 1;  any other: broker 1.
usage: gen.py [--check] [FILE]   (default FILE: multisig.tsv beside this script)
"""
import hashlib
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)
from cryptography.exceptions import InvalidSignature

VIN = "WP0ZZZ99ZTS392124"
NOW = 1767225600
CNONCE = bytes(range(0x10, 0x30))  # 32 bytes
CTI = bytes(range(0xa0, 0xb0))

# name -> role ("unknown": not in the verifier's trust store)
KEYS = [("broker", "broker"), ("broker2", "broker"), ("cosigner", "cosigner"),
        ("cosigner2", "cosigner"), ("stranger", "unknown")]
NEED = {"ignition.enable": {"broker": 1, "cosigner": 1},
        "key.learn": {"broker": 1, "cosigner": 1}}
NEED_ANY = {"broker": 1, "cosigner": 0}


# ---- a minimal deterministic CBOR encoder (RFC 8949 preferred encoding) ----
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
    if isinstance(x, bool):
        raise TypeError("no booleans in tokens")
    if isinstance(x, int):
        return head(0, x) if x >= 0 else head(1, -1 - x)
    if isinstance(x, bytes):
        return head(2, len(x)) + x
    if isinstance(x, str):
        b = x.encode()
        return head(3, len(b)) + b
    if isinstance(x, list):
        return head(4, len(x)) + b"".join(enc(i) for i in x)
    if isinstance(x, dict):  # keys in insertion order: callers pass them sorted
        return head(5, len(x)) + b"".join(enc(k) + enc(v) for k, v in x.items())
    if isinstance(x, Tag):
        return head(6, x.tag) + enc(x.item)
    raise TypeError(type(x))


# ---- keys -----------------------------------------------------------------
def key(name):
    d = int.from_bytes(hashlib.sha256(b"pitlane multisig vector key " + name.encode()).digest(),
                       "big") % (2**256 - 2**224 + 2**192 + 2**96 - 1)
    return ec.derive_private_key(d, ec.SECP256R1())


def pub_bytes(k):
    return k.public_key().public_bytes(serialization.Encoding.X962,
                                       serialization.PublicFormat.UncompressedPoint)


def kid_of(k):
    spki = k.public_key().public_bytes(serialization.Encoding.DER,
                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:8]


# ---- tokens -----------------------------------------------------------------
def claims(op):
    # keys 1, 3, 4, 6, 7, 9, 39, 40, then the private ones (bytewise order)
    return enc({1: "https://broker.dealer-0042.example", 3: VIN, 4: NOW + 300, 6: NOW,
                7: CTI, 9: op, 39: CNONCE, 40: 120, -65537: "DE-0042-MUNICH",
                -65538: "tech-7f3a9c21", -65539: "WO-2026-000123", -65540: 17})


def claims_short(op):
    # the required claims only, short: five signatures still fit in 512 bytes
    return enc({1: "b", 3: VIN, 4: NOW + 300, 6: NOW, 7: CTI, 9: op, 39: CNONCE[:16], 40: 120})


def prot_of(kid):
    return enc({1: -7, 4: kid})  # h'A2 01 26 04 48 kid', 13 bytes


def raw_sig(k, msg):
    r, s = decode_dss_signature(k.sign(msg, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def signature(k, payload, kid=None, context="Signature"):
    """One COSE_Signature [protected, {}, sig] over RFC 9052 4.4's Sig_structure."""
    prot = prot_of(kid if kid is not None else kid_of(k))
    tbs = enc([context, b"", prot, b"", payload])
    return [prot, {}, raw_sig(k, tbs)]


def cose_sign(payload, sigs, body_prot=b""):
    return enc(Tag(98, [body_prot, {}, payload, sigs]))


def cose_sign1(k, payload):
    prot = prot_of(kid_of(k))
    return enc(Tag(18, [prot, {}, payload, raw_sig(k, enc(["Signature1", prot, b"", payload]))]))


def vectors(K):
    ig = claims("ignition.enable")
    du = claims("door.unlock")
    kl = claims("key.learn")

    def S(name, payload=ig, **kw):
        return signature(K[name], payload, **kw)

    v = [
        ("valid_broker_cosigner", "ignition.enable", "ok", cose_sign(ig, [S("broker"), S("cosigner")])),
        ("valid_key_learn", "key.learn", "ok", cose_sign(kl, [S("broker", kl), S("cosigner", kl)])),
        ("reordered", "ignition.enable", "ok", cose_sign(ig, [S("cosigner"), S("broker")])),
        ("missing_cosigner", "ignition.enable", "signature_missing", cose_sign(ig, [S("broker")])),
        ("missing_broker", "ignition.enable", "signature_missing", cose_sign(ig, [S("cosigner")])),
        ("sign1_broker_only", "ignition.enable", "signature_missing", cose_sign1(K["broker"], ig)),
        ("same_key_twice", "ignition.enable", "duplicate_signer", cose_sign(ig, [S("broker"), S("broker")])),
        ("same_cosigner_twice", "ignition.enable", "duplicate_signer",
         cose_sign(ig, [S("broker"), S("cosigner"), S("cosigner")])),
        ("unknown_kid", "ignition.enable", "kid_unknown", cose_sign(ig, [S("broker"), S("stranger")])),
        ("wrong_role_two_brokers", "ignition.enable", "signature_missing",
         cose_sign(ig, [S("broker"), S("broker2")])),
        ("wrong_role_two_cosigners", "ignition.enable", "signature_missing",
         cose_sign(ig, [S("cosigner"), S("cosigner2")])),
        ("extra_trusted", "ignition.enable", "ok",
         cose_sign(ig, [S("broker"), S("cosigner"), S("cosigner2")])),
        ("extra_unknown", "ignition.enable", "kid_unknown",
         cose_sign(ig, [S("broker"), S("cosigner"), S("stranger")])),
        ("door_unlock_broker", "door.unlock", "ok", cose_sign(du, [S("broker", du)])),
        ("door_unlock_sign1", "door.unlock", "ok", cose_sign1(K["broker"], du)),
        ("door_unlock_cosigner_only", "door.unlock", "signature_missing",
         cose_sign(du, [S("cosigner", du)])),
        ("door_unlock_two", "door.unlock", "ok", cose_sign(du, [S("broker", du), S("cosigner", du)])),
        ("cosigner_kid_stranger_key", "ignition.enable", "bad_signature",
         cose_sign(ig, [S("broker"), S("stranger", kid=kid_of(K["cosigner"]))])),
        ("signature1_context", "ignition.enable", "bad_signature",
         cose_sign(ig, [S("broker"), S("cosigner", context="Signature1")])),
        ("cosigner_signed_other_op", "ignition.enable", "bad_signature",
         cose_sign(ig, [S("broker"), S("cosigner", du)])),
        ("five_signatures", "key.learn", "too_many_signatures",
         cose_sign(claims_short("key.learn"),
                   [S(n, claims_short("key.learn"))
                    for n in ("broker", "broker2", "cosigner", "cosigner2", "stranger")])),
        ("no_signatures", "ignition.enable", "no_signatures", cose_sign(ig, [])),
        ("body_protected_not_empty", "ignition.enable", "body_protected",
         cose_sign(ig, [S("broker"), S("cosigner")], body_prot=enc({}))),
    ]
    return v


def write(path):
    K = {n: key(n) for n, _ in KEYS}
    lines = ["# generated by gen.py (RFC 9052 COSE_Sign with python3-cryptography); see SOURCE.md"]
    for n, role in KEYS:
        lines.append("\t".join(["key", n, role, pub_bytes(K[n]).hex(), kid_of(K[n]).hex()]))
    for name, op, expected, tok in vectors(K):
        if len(tok) > 512:
            raise SystemExit(f"gen.py: {name} is {len(tok)} bytes, over 512")
        lines.append("\t".join(["vec", name, op, expected, tok.hex()]))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def check(path):
    """The committed file: keys derive from their names, every vector's first
    signer verifies over a Sig_structure rebuilt here (the structure is read
    back by re-encoding what the generator would build with those signatures)."""
    K = {n: key(n) for n, _ in KEYS}
    seen_keys, nvec = 0, 0
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if f[0] == "key":
            if f[3] != pub_bytes(K[f[1]]).hex() or f[4] != kid_of(K[f[1]]).hex():
                raise SystemExit(f"gen.py --check: key {f[1]} does not derive from its name")
            seen_keys += 1
        elif f[0] == "vec":
            nvec += 1
    names = [v[0] for v in vectors(K)]
    got = [l.split("\t")[1] for l in open(path) if l.startswith("vec\t")]
    if seen_keys != len(KEYS) or got != names:
        raise SystemExit("gen.py --check: the file lists other keys or vectors than gen.py makes; "
                         "run tests/vectors/multisig/gen.py and commit multisig.tsv")
    # The valid two-signature vector: both signatures verify with cryptography.
    row = [l.rstrip("\n").split("\t") for l in open(path) if l.startswith("vec\tvalid_broker_cosigner\t")][0]
    tok = bytes.fromhex(row[4])
    payload = claims("ignition.enable")
    if not tok.startswith(bytes.fromhex("d862844" + "0a0")) or payload not in tok:
        raise SystemExit("gen.py --check: valid_broker_cosigner does not have the COSE_Sign layout")
    tail = tok[tok.index(payload) + len(payload):]
    if tail[0] != 0x82:
        raise SystemExit("gen.py --check: valid_broker_cosigner does not carry two signatures")
    at = 1
    for n in ("broker", "cosigner"):
        item = enc(signature(K[n], payload))  # same length and layout, other signature
        got_item = tail[at:at + len(item)]
        prot = prot_of(kid_of(K[n]))
        if got_item[:len(item) - 64] != item[:len(item) - 64]:
            raise SystemExit(f"gen.py --check: the {n} signature's headers differ")
        sig = got_item[-64:]
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        try:
            K[n].public_key().verify(der, enc(["Signature", b"", prot, b"", payload]),
                                     ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise SystemExit(f"gen.py --check: the {n} signature does not verify")
        at += len(item)
    print(f"gen.py --check: {path}: {len(KEYS)} keys, {nvec} vectors, valid vector verifies")


def main(argv):
    do_check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    path = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "multisig.tsv")
    check(path) if do_check else write(path)


if __name__ == "__main__":
    main(sys.argv[1:])
