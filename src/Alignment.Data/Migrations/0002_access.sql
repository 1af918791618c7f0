-- Data 0002 (version 4 of the single list databases kept before owned migrations): access control of the labeling store.
-- * annotators.security_stamp: random text, replaced when the account's token is rotated, when it is disabled or
--   enabled, and when it signs out. Sign-in cookies carry the stamp they were issued with and stop working once it
--   differs. Existing accounts get a fresh random stamp (cookies issued before this migration carry none, so their
--   holders sign in again once).
-- * judgments.idempotency_hash: SHA-256 of the judgment an Idempotency-Key was first used with, so a replay with
--   another body is refused instead of answered with the old judgment. Rows from before this migration have NULL
--   (their keys still replay, as before).
-- * project_members: which annotators may list and label which projects (admins see every project regardless).
--   Every existing account becomes a member of every existing project, so stores made before membership keep working;
--   projects created from now on start with no members.

ALTER TABLE annotators ADD COLUMN security_stamp TEXT NOT NULL DEFAULT '';
UPDATE annotators SET security_stamp = lower(hex(randomblob(16)));

ALTER TABLE judgments ADD COLUMN idempotency_hash TEXT NULL;

CREATE TABLE project_members (
    project_id    INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    annotator_id  INTEGER NOT NULL REFERENCES annotators(id) ON DELETE CASCADE,
    added_at      TEXT    NOT NULL,
    PRIMARY KEY (project_id, annotator_id)
);
CREATE INDEX ix_project_members_annotator ON project_members(annotator_id, project_id);

INSERT INTO project_members (project_id, annotator_id, added_at)
SELECT p.id, a.id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM projects p CROSS JOIN annotators a;
