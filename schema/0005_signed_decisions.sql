-- 0005: signed approval decisions (docs/abuse.md, "Every decision is signed"). A pending
-- approval keeps the requester's exact signed token request (request) and its SHA-256
-- (request_sha256), which the approver's signed decision must carry as key 21; a decided
-- one keeps the approver's exact signed decision (decision, a COSE_Sign1 by the approving
-- technician's or officer's own key). The broker verifies that decision again before an
-- approved token leaves, so a row written by someone without the approver's key delivers
-- nothing; the co-signer gets the same bytes. Approvals pending from before this version
-- have no request and cannot be decided: their requesters ask again.
ALTER TABLE approvals ADD COLUMN request BLOB;
ALTER TABLE approvals ADD COLUMN request_sha256 BLOB
	CHECK (request_sha256 IS NULL OR length(request_sha256) = 32);
ALTER TABLE approvals ADD COLUMN decision BLOB;
