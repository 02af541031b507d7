#!/usr/bin/env python3
"""Worst-case stack depth of lib/token entry points from GCC -fcallgraph-info=su files.

Each .ci file is a VCG graph: nodes carry "N bytes (static|dynamic|bounded)",
edges name caller and callee. Functions outside the graph (memcpy, memset,
strlen) count 0 bytes; a cycle (recursion) is an error, since lib/token has none.
"""
import re
import sys

ENTRIES = ["plt_verify", "plt_verify_signers", "plt_decode", "plt_encode", "plt_encode_sign",
           "plt_cosign", "plt_sign_append", "plt_cose_sign1_verify"]
TARGET = {"plt_verify": 2048, "plt_verify_signers": 2048}

size, kind, edges = {}, {}, {}
node_re = re.compile(r'node: \{ title: "([^"]+)" label: "[^"]*\\n(\d+) bytes \((\w+)\)')
edge_re = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
for path in sys.argv[1:]:
    for line in open(path):
        m = node_re.search(line)
        if m:
            size[m.group(1)] = int(m.group(2))
            kind[m.group(1)] = m.group(3)
            continue
        m = edge_re.search(line)
        if m:
            edges.setdefault(m.group(1), set()).add(m.group(2))


def depth(fn, stack):
    if fn in stack:
        sys.exit("recursion: " + " -> ".join(stack + [fn]))
    best, path = 0, []
    for callee in sorted(edges.get(fn, ())):
        d, p = depth(callee, stack + [fn])
        if d > best:
            best, path = d, p
    return size.get(fn, 0) + best, [fn] + path


bad = False
for fn in ENTRIES:
    d, p = depth(fn, [])
    dyn = [f for f in p if kind.get(f, "static") != "static"]
    note = ""
    if fn in TARGET:
        ok = d <= TARGET[fn]
        bad |= not ok
        note = " (target <= %d: %s)" % (TARGET[fn], "ok" if ok else "OVER")
    names = [re.sub(r".*/", "", f) for f in p]
    print("max stack %-22s %5d bytes%s via %s%s" % (fn, d, note, " > ".join(names),
          " [dynamic: %s]" % ",".join(dyn) if dyn else ""))
sys.exit(1 if bad else 0)
