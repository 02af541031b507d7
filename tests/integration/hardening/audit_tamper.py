#!/usr/bin/env python3
"""What someone with write access to audit.db can do (test-only attacker tool).

Implements the row hash of docs/audit.md (versions 1 and 2) independently of
the C code, so a rewritten chain is exactly as consistent as the broker's own.

  audit_tamper.py DB rewrite-tail SEQ      delete row SEQ, renumber the rows after
                                           it and re-chain them (prev/row hashes)
  audit_tamper.py DB set SEQ COLUMN VALUE  edit one text column of row SEQ
  audit_tamper.py DB delete-checkpoints SQL-WHERE
  audit_tamper.py DB rehash                recompute every prev_hash/row_hash
"""
import hashlib
import sqlite3
import struct
import sys

TEXT = ["request_id", "client_identity", "technician", "workshop", "vin", "op",
        "decision", "rule", "reason", "client_addr"]


def text(s):
    b = (s or "").encode()
    return struct.pack(">H", len(b)) + b


def opt16(b):
    return b"\x00" if b is None else b"\x01" + bytes(b)


def row_hash(prev, r):
    r = dict(r)
    r.setdefault("row_version", 1)   # a file from before schema 0003
    enc = bytes([r["row_version"]]) + struct.pack(">Qq", r["seq"], r["time_ms"])
    enc += b"".join(text(r[c]) for c in TEXT) + opt16(r["token_id"])
    if r["row_version"] == 2:
        enc += text(r["work_order"]) + text(r["request_reason"]) + opt16(r["nonce"])
        enc += struct.pack(">Q", r["ckpt_rows"])
    return hashlib.sha256(bytes(prev) + enc).digest()


def unguard(db):
    for t in ("audit_log_no_update", "audit_log_no_delete", "checkpoints_no_update",
              "checkpoints_no_delete"):
        db.execute("DROP TRIGGER IF EXISTS " + t)


def rechain(db, first):
    db.row_factory = sqlite3.Row
    prev = bytes(32)
    if first > 1:
        prev = db.execute("SELECT row_hash FROM audit_log WHERE seq = ?",
                          (first - 1,)).fetchone()[0]
    rows = db.execute("SELECT * FROM audit_log WHERE seq >= ? ORDER BY seq", (first,)).fetchall()
    for r in rows:
        h = row_hash(prev, r)
        db.execute("UPDATE audit_log SET prev_hash = ?, row_hash = ? WHERE seq = ?",
                   (prev, h, r["seq"]))
        prev = h


def main():
    path, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    unguard(db)
    if cmd == "rewrite-tail":
        seq = int(args[0])
        db.execute("DELETE FROM audit_log WHERE seq = ?", (seq,))
        last = db.execute("SELECT max(seq) FROM audit_log").fetchone()[0] or 0
        for s in range(seq + 1, last + 1):
            db.execute("UPDATE audit_log SET seq = ? WHERE seq = ?", (s - 1, s))
        rechain(db, seq)
    elif cmd == "set":
        db.execute("UPDATE audit_log SET %s = ? WHERE seq = ?" % args[1], (args[2], int(args[0])))
    elif cmd == "delete-checkpoints":
        db.execute("DELETE FROM checkpoints WHERE " + args[0])
    elif cmd == "rehash":
        rechain(db, 1)
    else:
        sys.exit("unknown command " + cmd)
    db.execute("COMMIT")


if __name__ == "__main__":
    main()
