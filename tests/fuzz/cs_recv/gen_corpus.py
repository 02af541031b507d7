#!/usr/bin/python3
"""Seed corpus of fuzz_cs_recv: valid and invalid datagrams of each message type
(first byte: the direction, 0 network -> core, 1 core -> network). Layouts from
cosign/proto/cs_msg.h: header {u32 type; u32 len; u64 id}; cs_request {char peer[64]};
cs_answer {u32 status; u32 retry_after; char code[64]; char ctype[64]};
cs_status {u32 hsm_ready; u32 audit_ready; u64 seq}."""
import os, struct, sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus')
os.makedirs(out, exist_ok=True)

def dgram(direction, typ, payload, lie=0, id_=7):
    return bytes([direction]) + struct.pack('<IIQ', typ, len(payload) + lie, id_) + payload

def s(text, n):
    return text.encode().ljust(n, b'\0')[:n]

req = s('127.0.0.1:5000', 64)
ans = struct.pack('<II', 200, 0) + s('signed', 64) + s('application/cose', 64)
st = struct.pack('<IIQ', 1, 1, 3)
seeds = {
    'ok-request': dgram(0, 1, req + b'\xa2\x01\x40\x02\x40'),
    'ok-request-empty-body': dgram(0, 1, req),
    'ok-ready': dgram(0, 2, b''),
    'bad-ready-with-payload': dgram(0, 2, b'x'),
    'bad-ready-to-net': dgram(1, 2, b''),
    'ok-answer': dgram(1, 10, ans + b'\x83' + b'\0' * 81),
    'ok-status': dgram(1, 11, st + b'# metrics\n'),
    'bad-answer-to-core': dgram(0, 10, ans),
    'bad-request-to-net': dgram(1, 1, req),
    'bad-unknown-type': dgram(0, 99, b''),
    'bad-short-fixed': dgram(0, 1, req[:10]),
    'bad-len-lies': dgram(0, 1, req, lie=4),
    'bad-unterminated-peer': dgram(0, 1, b'A' * 64),
    'bad-unterminated-code': dgram(1, 10, struct.pack('<II', 403, 0) + b'x' * 64 + s('a', 64)),
    'bad-short-header': bytes([0]) + b'\x01\x00\x00',
    'bad-tail-too-long': dgram(1, 10, ans + b'\0' * 1025),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
