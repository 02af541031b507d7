# Helpers of the broker <-> co-signer tests (sourced after the broker tests' lib.sh).
# Environment: COSIGN_FAULT (cosign_fault.py), COSIGN_VERIFY, optionally COSIGND.
PY=/usr/bin/python3
FAULT_PID=

cs_cleanup() {
	[ -n "$FAULT_PID" ] && kill "$FAULT_PID" 2>/dev/null || true
	cosignd_stop
	cleanup
}

# cosignd_start CONF: the real pitlane-cosignd on CONF (its demo PKI material in $P); waits
# until it serves; sets CS_PID and CS_PORT (the port its log names).
CS_PID=
cosignd_start() {
	: >"$W/cosignd.log"
	SOFTHSM2_CONF=$P/hsm-cosigner/softhsm2.conf "$COSIGND" -f "$1" -d >>"$W/cosignd.log" 2>&1 &
	CS_PID=$!
	i=0
	until grep -q 'event=net_started' "$W/cosignd.log"; do
		i=$((i + 1))
		[ $i -lt 150 ] || fail "pitlane-cosignd did not start: $(tail -n 5 "$W/cosignd.log")"
		kill -0 "$CS_PID" 2>/dev/null || fail "pitlane-cosignd exited: $(tail -n 5 "$W/cosignd.log")"
		sleep 0.1
	done
	CS_PORT=$(sed -n 's/.*listener=api addr=127.0.0.1 port=\([0-9]*\).*/\1/p' "$W/cosignd.log")
	[ -n "$CS_PORT" ] || fail "no port of pitlane-cosignd"
}

cosignd_stop() {
	[ -z "$CS_PID" ] || { kill -TERM "$CS_PID" 2>/dev/null; wait "$CS_PID" 2>/dev/null; } || true
	CS_PID=
}
trap cs_cleanup EXIT INT TERM

# make_key NAME: a P-256 key and a self-signed certificate $W/NAME.key, $W/NAME.crt
make_key() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	    -subj "/CN=$1" -keyout "$W/$1.key" -out "$W/$1.crt" 2>/dev/null ||
	    fail "cannot make the test key $1"
	chmod 600 "$W/$1.key"
	openssl pkey -in "$W/$1.key" -pubout -out "$W/$1.pub" 2>/dev/null
}

# pin_of NAME: curl's sha256//BASE64 of the key's SubjectPublicKeyInfo
pin_of() {
	echo "sha256//$(openssl pkey -pubin -in "$W/$1.pub" -outform der |
	    openssl dgst -sha256 -binary | base64)"
}

# start_fault MODE [ARGS...]: the fault injector; sets FAULT_PORT
start_fault() {
	stop_fault
	: >"$W/fault.out"
	"$PY" "$COSIGN_FAULT" "$@" >"$W/fault.out" 2>"$W/fault.err" &
	FAULT_PID=$!
	i=0
	until grep -q '^port=' "$W/fault.out"; do
		i=$((i + 1))
		[ $i -lt 50 ] || fail "the fault injector did not start: $(cat "$W/fault.err")"
		sleep 0.1
	done
	FAULT_PORT=$(sed -n 's/^port=//p' "$W/fault.out")
}

stop_fault() {
	if [ -n "$FAULT_PID" ]; then
		kill "$FAULT_PID" 2>/dev/null || true
		wait "$FAULT_PID" 2>/dev/null || true
		FAULT_PID=
	fi
}

# free_port: a loopback port nothing listens on (bound and closed again)
free_port() {
	"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# cosign_config FILE PORT PIN [lines...]: broker.conf with the co-signer at 127.0.0.1:PORT
cosign_config() {
	f=$1 port=$2 pin=$3
	shift 3
	write_config "$f" "cosigner_url https://127.0.0.1:$port" "cosigner_pin $pin" \
	    "cosigner_cert $W/cc.crt" "cosigner_key $W/cc.key" "$@"
}

now_ms() { date +%s%3N; }

# timed_req OUTVAR-FILE DEVICE TECH [options]: req, with the elapsed ms in $W/elapsed
timed_req() {
	t0=$(now_ms)
	req "$@"
	echo $(($(now_ms) - t0)) >"$W/elapsed"
}

# cosigner_rows DECISION: audit rows with that decision and rule cosigner
cosigner_rows() {
	j=0
	until "$PITLANECTL" audit export "$W/audit.db" >"$W/export.json" 2>/dev/null; do
		j=$((j + 1))
		[ $j -lt 20 ] || break
		sleep 0.1
	done
	grep "\"decision\":\"$1\"" "$W/export.json" | grep -c '"rule":"cosigner"' || true
}

# wait_rows DECISION N: until there are N such rows (2 s: an export may meet a busy database)
wait_rows() {
	i=0
	until [ "$(cosigner_rows "$1")" = "$2" ]; do
		i=$((i + 1))
		[ $i -lt 20 ] || return 1
		sleep 0.1
	done
}
