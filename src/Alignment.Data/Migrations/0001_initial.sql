-- 0001: the labeling store.
-- Times are UTC text 'yyyy-MM-ddTHH:mm:ss.fffZ' (fixed width, so text order is time order).
-- Outcomes are relative to the underlying responses: 'A', 'B', 'tie', 'both_bad'.
-- Strength is signed on the 7-point scale: -3 = A much better ... 0 ... +3 = B much better.

CREATE TABLE projects (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL UNIQUE,
    guidelines_md    TEXT    NOT NULL DEFAULT '',
    overlap_k        INTEGER NOT NULL DEFAULT 1 CHECK (overlap_k >= 1),
    strength_max     INTEGER NOT NULL DEFAULT 3 CHECK (strength_max BETWEEN 0 AND 3),
    aspects_enabled  INTEGER NOT NULL DEFAULT 0 CHECK (aspects_enabled IN (0, 1)),
    gold_rate        REAL    NOT NULL DEFAULT 0.1 CHECK (gold_rate >= 0 AND gold_rate <= 1),
    lease_minutes    INTEGER NOT NULL DEFAULT 30 CHECK (lease_minutes >= 1),
    created_at       TEXT    NOT NULL
);

CREATE TABLE prompts (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    text        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    UNIQUE (project_id, text)
);

CREATE TABLE responses (
    id          INTEGER PRIMARY KEY,
    prompt_id   INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
    text        TEXT    NOT NULL,
    model       TEXT    NULL,   -- the model that produced it; admin-only, never shown to annotators
    artifact    TEXT    NULL,   -- content hash of the artifact (checkpoint) that produced it, when known
    created_at  TEXT    NOT NULL
);
CREATE INDEX ix_responses_prompt ON responses(prompt_id);

CREATE TABLE comparisons (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    prompt_id      INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
    response_a_id  INTEGER NOT NULL REFERENCES responses(id),
    response_b_id  INTEGER NOT NULL REFERENCES responses(id),
    is_gold        INTEGER NOT NULL DEFAULT 0 CHECK (is_gold IN (0, 1)),
    gold_outcome   TEXT    NULL CHECK (gold_outcome IN ('A', 'B', 'tie', 'both_bad')),
    gold_strength  INTEGER NULL CHECK (gold_strength BETWEEN -3 AND 3),
    -- overlap_k minus (active judgments + live leases); maintained by the queue, meaningless for gold.
    remaining      INTEGER NOT NULL,
    -- number of active judgments; maintained by the queue.
    judged         INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT    NOT NULL,
    CHECK (response_a_id <> response_b_id),
    CHECK (is_gold = 0 OR gold_outcome IS NOT NULL)
);
-- The queue's hot path: open regular items of a project, closest to completion first.
CREATE INDEX ix_comparisons_open ON comparisons(project_id, remaining, id) WHERE is_gold = 0 AND remaining > 0;
CREATE INDEX ix_comparisons_gold ON comparisons(project_id, id) WHERE is_gold = 1;
CREATE INDEX ix_comparisons_progress ON comparisons(project_id, is_gold, judged);
CREATE UNIQUE INDEX ux_comparisons_pair ON comparisons(project_id, response_a_id, response_b_id);

CREATE TABLE annotators (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'annotator')),
    token_hash  TEXT    NOT NULL UNIQUE,
    is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at  TEXT    NOT NULL
);

CREATE TABLE assignments (
    id                INTEGER PRIMARY KEY,
    project_id        INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    comparison_id     INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
    annotator_id      INTEGER NOT NULL REFERENCES annotators(id),
    is_gold           INTEGER NOT NULL CHECK (is_gold IN (0, 1)),
    left_is_a         INTEGER NOT NULL CHECK (left_is_a IN (0, 1)),
    state             TEXT    NOT NULL CHECK (state IN ('leased', 'done', 'skipped', 'expired', 'released')),
    lease_expires_at  TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    UNIQUE (comparison_id, annotator_id)
);
CREATE INDEX ix_assignments_annotator ON assignments(annotator_id, project_id, state);
CREATE INDEX ix_assignments_leases ON assignments(lease_expires_at) WHERE state = 'leased';

CREATE TABLE judgments (
    id               INTEGER PRIMARY KEY,
    assignment_id    INTEGER NOT NULL REFERENCES assignments(id),
    comparison_id    INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
    annotator_id     INTEGER NOT NULL REFERENCES annotators(id),
    outcome          TEXT    NOT NULL CHECK (outcome IN ('A', 'B', 'tie', 'both_bad')),
    strength         INTEGER NOT NULL CHECK (strength BETWEEN -3 AND 3),
    rationale        TEXT    NULL,
    helpful          INTEGER NULL CHECK (helpful BETWEEN 1 AND 5),
    harmless         INTEGER NULL CHECK (harmless BETWEEN 1 AND 5),
    honest           INTEGER NULL CHECK (honest BETWEEN 1 AND 5),
    time_ms          INTEGER NOT NULL CHECK (time_ms >= 0),
    left_is_a        INTEGER NOT NULL CHECK (left_is_a IN (0, 1)),
    idempotency_key  TEXT    NULL,
    is_active        INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    superseded_by    INTEGER NULL REFERENCES judgments(id),
    superseded_at    TEXT    NULL,
    created_at       TEXT    NOT NULL,
    CHECK (outcome <> 'A' OR strength <= 0),
    CHECK (outcome <> 'B' OR strength >= 0),
    CHECK (outcome IN ('A', 'B') OR strength = 0)
);
CREATE INDEX ix_judgments_comparison ON judgments(comparison_id, is_active);
CREATE INDEX ix_judgments_annotator ON judgments(annotator_id, is_active, id);
CREATE INDEX ix_judgments_assignment ON judgments(assignment_id);
-- Never two active judgments by one annotator on one comparison.
CREATE UNIQUE INDEX ux_judgments_active ON judgments(comparison_id, annotator_id) WHERE is_active = 1;
CREATE UNIQUE INDEX ux_judgments_idempotency ON judgments(annotator_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE adjudications (
    id             INTEGER PRIMARY KEY,
    comparison_id  INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
    admin_id       INTEGER NOT NULL REFERENCES annotators(id),
    outcome        TEXT    NOT NULL CHECK (outcome IN ('A', 'B', 'tie', 'both_bad')),
    strength       INTEGER NOT NULL CHECK (strength BETWEEN -3 AND 3),
    note           TEXT    NULL,
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    superseded_by  INTEGER NULL REFERENCES adjudications(id),
    created_at     TEXT    NOT NULL,
    CHECK (outcome <> 'A' OR strength <= 0),
    CHECK (outcome <> 'B' OR strength >= 0),
    CHECK (outcome IN ('A', 'B') OR strength = 0)
);
CREATE UNIQUE INDEX ux_adjudications_active ON adjudications(comparison_id) WHERE is_active = 1;
