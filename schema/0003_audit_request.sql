-- 0003: audit rows of row-hash version 2 (broker/audit, docs/audit.md): what
-- the requester said (work order, reason), the request's nonce (the decider's
-- replay cache is pre-loaded from it at start) and the newest signed
-- checkpoint the writer knew (a deleted checkpoint is then missed by the
-- rows written after it). Rows written before this migration keep version 1:
-- their new columns hold the defaults and are not part of their hash.

ALTER TABLE audit_log ADD COLUMN row_version INTEGER NOT NULL DEFAULT 1
	CHECK (row_version IN (1, 2));
ALTER TABLE audit_log ADD COLUMN work_order TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN request_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN nonce BLOB CHECK (nonce IS NULL OR length(nonce) = 16);
ALTER TABLE audit_log ADD COLUMN ckpt_rows INTEGER NOT NULL DEFAULT 0 CHECK (ckpt_rows >= 0);
