#!/bin/sh
# Connection caps and deadlines: an idle connection (no handshake) is closed after
# timeout_s; a connection over max_connections is refused at its ClientHello and counted;
# once connections close, the broker gets in again. REQ-COS-023 REQ-COS-024
. "$COS_TESTDIR/lib.sh"

write_config "$W/cosignd.conf" "timeout_s 2" "max_connections 2"
start_cosignd "$W/cosignd.conf"

/usr/bin/python3 - "$PORT" "$P" >"$W/caps.out" 2>&1 <<'PY' || fail "caps: $(cat "$W/caps.out")"
import socket, ssl, sys, time
port, pki = int(sys.argv[1]), sys.argv[2]
def tls():
    ctx = ssl.create_default_context(cafile=pki + '/service-ca/ca.crt')
    ctx.load_cert_chain(pki + '/broker-client/broker-client.crt',
                        pki + '/broker-client/broker-client.key')
    return ctx.wrap_socket(socket.create_connection(('127.0.0.1', port)),
                           server_hostname='localhost')
# REQ-COS-024: an idle TCP connection is closed by the deadline (2 s), not held open
s = socket.create_connection(('127.0.0.1', port))
s.settimeout(10)
t = time.time()
assert s.recv(100) == b'', 'idle connection got data'
idle = time.time() - t
assert 1.5 <= idle <= 4.0, 'idle connection closed after %.1f s' % idle
# REQ-COS-023: two held connections, the third refused in its handshake at once
held = [tls(), tls()]
t = time.time()
try:
    tls()
    sys.exit('a third connection got through max_connections 2')
except ssl.SSLError as e:
    assert 'HANDSHAKE_FAILURE' in str(e), e
assert time.time() - t < 1.0, 'the refusal took %.1f s' % (time.time() - t)
for c in held:
    c.close()
time.sleep(0.3)
tls().close()
print('idle %.1f s' % idle)
PY
[ "$(metric 'pitlane_cosign_front_refused_total{code="max_connections"}')" = 1 ] ||
    fail "max_connections refusal not counted"
grep -q 'event=connection_refused reason=max_connections' "$W/cosignd.log" || fail "not logged"
pass "REQ-COS-023 REQ-COS-024 caps and deadlines ($(cat "$W/caps.out"))"
