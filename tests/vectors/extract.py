#!/usr/bin/env python3
"""Derives the flat .tsv files the C tests read from the unmodified JSON vectors.

Run from tests/vectors/:  python3 extract.py
The .tsv files are committed; test_token_vectors_fresh re-runs this script and
compares, so the derived files cannot drift from the JSON.
"""
import base64
import glob
import json
import sys


def b64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).hex()


def pub_of(key):
    if "x_hex" in key:
        return "04" + key["x_hex"].lower() + key["y_hex"].lower()
    return "04" + b64u(key["x"]) + b64u(key["y"])


def cose_rows():
    rows = []
    cose = sorted(glob.glob("cose-wg-Examples/sign1-tests/*.json")) + [
        "cose-wg-Examples/ecdsa-examples/ecdsa-sig-01.json",
        "cose-wg-Examples/CWT/A_3.json",
        "cose-wg-Examples/RFC8152/Appendix_C_2_1.json",
    ]
    for f in cose:
        d = json.load(open(f))
        s = d["input"]["sign0"]
        ok = "0" if d.get("fail") else "1"
        aad = s.get("external", "") or "-"
        tbs = d.get("intermediates", {}).get("ToBeSign_hex", "-").lower()
        rows.append((f, ok, d["output"]["cbor"].lower(), pub_of(s["key"]), aad.lower(), tbs))
    for f in sorted(glob.glob("veraison-go-cose/testdata/sign1-verify*.json")):
        d = json.load(open(f))
        if "sign1::verify" in d:
            v = d["sign1::verify"]
            msg = v["taggedCOSESign1"]["cborHex"]
            ok = "1" if v["shouldVerify"] else "0"
            aad = v.get("external", "") or "-"
        else:
            # sign1::sign cases: upstream compares only the output length (the
            # ECDSA signature is random) and sign-0000's expectedOutput was made
            # with another key, so they are no verify vectors.
            continue
        rows.append((f, ok, msg.lower(), pub_of(d["key"]), aad.lower(), "-"))
    return rows


def sign_rows():
    """go-cose sign1::sign cases: key, headers, payload, external, expected Sig_structure."""
    rows = []
    for f in sorted(glob.glob("veraison-go-cose/testdata/sign1-sign-*.json")):
        d = json.load(open(f))
        v = d["sign1::sign"]
        rows.append((f, b64u(d["key"]["d"]), pub_of(d["key"]),
                     v["protectedHeaders"]["cborHex"].lower(),
                     v["unprotectedHeaders"]["cborHex"].lower(),
                     v["payload"].lower(), (v.get("external", "") or "-").lower(),
                     v["tbsHex"]["cborHex"].lower()))
    return rows


def wycheproof_rows():
    d = json.load(open("wycheproof/ecdsa_secp256r1_sha256_p1363_test.json"))
    rows = []
    for g in d["testGroups"]:
        pub = g["publicKey"]["uncompressed"].lower()
        for t in g["tests"]:
            rows.append((str(t["tcId"]), "1" if t["result"] == "valid" else "0",
                         pub, t["msg"] or "-", t["sig"] or "-"))
    return rows


def rfc8392_rows():
    d = json.load(open("rfc8392/rfc8392_appendix_a.json"))
    k = d["A.2.3_decoded"]
    pub = "04" + k["x_hex"] + k["y_hex"]
    return [("rfc8392/A.3", "1", d["A.3_signed_cwt_hex"].lower(), pub, "-",
             d["A.3_structure"]["sig_structure_hex"].lower())]


def bstrs(hexs):
    """The byte strings of a CBOR array of a text and byte strings (short heads)."""
    b = bytes.fromhex(hexs)
    i, out = 1, []
    while i < len(b):
        major, n = b[i] >> 5, b[i] & 31
        i += 1
        if n == 24:
            n, i = b[i], i + 1
        elif n > 24:
            raise SystemExit("extract.py: long head in " + hexs)
        if major == 2:
            out.append(b[i:i + n].hex())
        i += n
    return out


def cose_sign_rows():
    """COSE_Sign (tag 98 family) signers: their Sig_structure and signature."""
    rows = []
    for f in ["cose-wg-Examples/ecdsa-examples/ecdsa-01.json"]:
        d = json.load(open(f))
        key = d["input"]["sign"]["signers"][0]["key"]
        tbs = d["intermediates"]["signers"][0]["ToBeSign_hex"].lower()
        body, sprot, aad, payload = bstrs(tbs)
        sig = d["output"]["cbor"].lower()[-128:]
        rows.append((f, pub_of(key), body, sprot, aad or "-", payload, tbs, sig))
    return rows


def write(path, rows):
    out = "".join("\t".join(r) + "\n" for r in rows)
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        if open(path).read() != out:
            sys.exit(path + " is out of date: run python3 extract.py in tests/vectors")
        return
    open(path, "w").write(out)


write("cose_sign1.tsv", cose_rows() + rfc8392_rows())
write("wycheproof_p1363.tsv", wycheproof_rows())
write("cose_sign1_sign.tsv", sign_rows())
write("cose_sign.tsv", cose_sign_rows())
