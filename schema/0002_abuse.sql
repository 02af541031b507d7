-- 0002: abuse resistance (broker/abuse, docs/abuse.md): what officers decide
-- (suspensions, revocations, breaker resets, approvals) and the breakers the
-- broker tripped. Rate-limit counts are not stored: the broker derives them
-- from audit_log at start. pitlanectl writes these tables and bumps
-- abuse_generation.gen in the same transaction; the broker re-reads them
-- before the next request when gen changed.

CREATE TABLE abuse_generation (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	gen INTEGER NOT NULL
);
INSERT INTO abuse_generation (id, gen) VALUES (1, 1);

CREATE TABLE suspensions (
	kind     TEXT NOT NULL CHECK (kind IN ('workshop', 'technician')),
	id       TEXT NOT NULL,
	since_ms INTEGER NOT NULL,
	actor    TEXT NOT NULL,
	reason   TEXT NOT NULL,
	PRIMARY KEY (kind, id)
);

CREATE TABLE revocations (
	serial  INTEGER PRIMARY KEY,
	cti     BLOB NOT NULL UNIQUE CHECK (length(cti) = 16),
	time_ms INTEGER NOT NULL,
	actor   TEXT NOT NULL,
	reason  TEXT NOT NULL
);

-- A row = the breaker of limit `name` is open until an officer deletes it.
CREATE TABLE breakers (
	name       TEXT PRIMARY KEY,
	tripped_ms INTEGER NOT NULL,
	evidence   TEXT NOT NULL
);

CREATE TABLE approvals (
	id              TEXT PRIMARY KEY CHECK (length(id) = 32),
	state           TEXT NOT NULL
	                CHECK (state IN ('pending', 'approved', 'denied', 'issued', 'expired')),
	created_ms      INTEGER NOT NULL,
	expires_ms      INTEGER NOT NULL,
	rule            TEXT NOT NULL,
	device_cn       TEXT NOT NULL,
	device_ou       TEXT NOT NULL,
	technician      TEXT NOT NULL,
	workshop        TEXT NOT NULL,
	technician_id   TEXT NOT NULL,
	workshop_id     TEXT NOT NULL,
	vin             TEXT NOT NULL,
	op              TEXT NOT NULL,
	cnonce          BLOB NOT NULL CHECK (length(cnonce) BETWEEN 1 AND 64),
	ttl_s           INTEGER NOT NULL,
	exi_s           INTEGER NOT NULL,
	policy_version  INTEGER NOT NULL,
	work_order      TEXT NOT NULL,
	approver        TEXT NOT NULL DEFAULT '',
	decided_ms      INTEGER NOT NULL DEFAULT 0,
	decision_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX approvals_state ON approvals (state, expires_ms);

-- Officer actions; the broker writes each into the audit chain and sets audited.
CREATE TABLE admin_actions (
	seq     INTEGER PRIMARY KEY,
	time_ms INTEGER NOT NULL,
	actor   TEXT NOT NULL,
	action  TEXT NOT NULL,
	target  TEXT NOT NULL,
	reason  TEXT NOT NULL,
	audited INTEGER NOT NULL DEFAULT 0 CHECK (audited IN (0, 1))
);

-- The unlock_then_start detector and the rebuild ask "has this workshop seen this VIN".
CREATE INDEX audit_log_workshop_vin ON audit_log (workshop, vin);
