# Helpers of the privsep integration tests (sourced after the broker tests' lib.sh).

# role_pid ROLE: pid of the newest process of ROLE (signer, decider, front).
role_pid() {
	sed -n "s/.*event=privsep_child_started role=$1 pid=\([0-9]*\).*/\1/p" "$W/broker.log" |
	    tail -n 1
}

# status_field PID FIELD: a field of /proc/PID/status.
status_field() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# chan_fd FROM TO: the lowest descriptor number of process FROM whose socketpair
# peer is held by process TO (from the kernel's unix socket table, ss -xp). The
# monitor hands a channel set over in one message, worker channels first, so the
# lowest one of a front end -> decider set is a worker channel (the decider reads
# it), not the status channel.
chan_fd() {
	ss -xpH | awk -v a="$1" -v b="$2" '
	    $1 == "u_seq" {
		match($0, /pid=[0-9]+,fd=[0-9]+/)
		split(substr($0, RSTART, RLENGTH), kv, /[=,]/)
		owner[$6] = kv[2]; fd[$6] = kv[4]; peer[$6] = $8
	    }
	    END {
		best = -1
		for (ino in owner)
			if (owner[ino] == a && owner[peer[ino]] == b &&
			    (best < 0 || fd[ino] + 0 < best))
				best = fd[ino] + 0
		if (best >= 0)
			print best
	    }'
}

# wait_new_pid ROLE OLD: waits until ROLE has a process other than OLD; prints it.
wait_new_pid() {
	i=0
	while :; do
		p=$(role_pid "$1")
		if [ -n "$p" ] && [ "$p" != "$2" ] && kill -0 "$p" 2>/dev/null; then
			echo "$p"
			return 0
		fi
		i=$((i + 1))
		[ $i -lt 100 ] || return 1
		sleep 0.1
	done
}

ready_code() {
	curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/v1/ready"
}

# wait_ready_code CODE WHAT: polls /v1/ready until it answers CODE (10 s).
wait_ready_code() {
	i=0
	until [ "$(ready_code)" = "$1" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$2: /v1/ready did not become $1"
		sleep 0.1
	done
}

allow_rows() {
	"$PITLANECTL" audit export "$W/audit.db" | grep -c '"decision":"allow"' || true
}
