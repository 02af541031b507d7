-- 0004: device suspensions (broker/abuse, docs/abuse.md). An identity the policy
-- does not know -- a technician certificate CN that is no technician of the policy,
-- e.g. the PC's own certificate presented as a technician's -- gets its device and
-- its workshop suspended when a detector's action is `suspend`, never a phantom
-- technician of that name; `pitlanectl suspend|resume device CN` acts on one PC.
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt with the
-- same columns and rows, kind 'device' (id = the device certificate CN) allowed.
CREATE TABLE suspensions_new (
	kind     TEXT NOT NULL CHECK (kind IN ('workshop', 'technician', 'device')),
	id       TEXT NOT NULL,
	since_ms INTEGER NOT NULL,
	actor    TEXT NOT NULL,
	reason   TEXT NOT NULL,
	PRIMARY KEY (kind, id)
);
INSERT INTO suspensions_new (kind, id, since_ms, actor, reason)
	SELECT kind, id, since_ms, actor, reason FROM suspensions;
DROP TABLE suspensions;
ALTER TABLE suspensions_new RENAME TO suspensions;
