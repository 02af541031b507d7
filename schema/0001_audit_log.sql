-- 0001: the audit hash chain and its signed checkpoints (broker/audit, docs/audit.md).
-- Migrations are applied in order at open, each in one transaction; PRAGMA
-- user_version records the last one applied. Append new files; never edit one
-- that has shipped.

-- One row per broker decision. row_hash = SHA-256(prev_hash || canonical
-- encoding of the row), see docs/audit.md. The token itself is never stored,
-- only its id (cti).
CREATE TABLE audit_log (
	seq             INTEGER PRIMARY KEY CHECK (seq >= 1),
	time_ms         INTEGER NOT NULL,
	request_id      TEXT NOT NULL,
	client_identity TEXT NOT NULL,
	technician      TEXT NOT NULL,
	workshop        TEXT NOT NULL,
	vin             TEXT NOT NULL,
	op              TEXT NOT NULL,
	decision        TEXT NOT NULL CHECK (length(decision) >= 1),
	rule            TEXT NOT NULL,
	reason          TEXT NOT NULL,
	token_id        BLOB CHECK (token_id IS NULL OR length(token_id) = 16),
	client_addr     TEXT NOT NULL,
	prev_hash       BLOB NOT NULL CHECK (length(prev_hash) = 32),
	row_hash        BLOB NOT NULL UNIQUE CHECK (length(row_hash) = 32)
);

CREATE INDEX audit_log_time ON audit_log (time_ms);

-- Rows are append-only for everyone going through SQL: an UPDATE or DELETE is
-- refused. (Someone with write access to the file can drop the triggers; the
-- hash chain and the signed checkpoints are what detect that.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log rows are append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit_log rows are append-only');
END;

-- A signed statement "the chain had row_count rows and its head was head_hash",
-- see docs/audit.md for the signed bytes. pubkey: the signer's P-256 point.
CREATE TABLE checkpoints (
	id         INTEGER PRIMARY KEY,
	time_ms    INTEGER NOT NULL,
	row_count  INTEGER NOT NULL CHECK (row_count >= 1),
	head_hash  BLOB NOT NULL CHECK (length(head_hash) = 32),
	signature  BLOB NOT NULL CHECK (length(signature) = 64),
	pubkey     BLOB NOT NULL CHECK (length(pubkey) = 65)
);

CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN
	SELECT RAISE(ABORT, 'checkpoints are append-only');
END;

CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN
	SELECT RAISE(ABORT, 'checkpoints are append-only');
END;
