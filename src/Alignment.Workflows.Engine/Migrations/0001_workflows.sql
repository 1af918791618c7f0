-- Workflows 0001 (version 2 of the single list databases kept before owned migrations): workflow instances, activity
-- executions, bookmarks, artifacts with lineage, and the stage cache. Owned by Alignment.Workflows.Engine (which reads
-- and writes these tables); Alignment.Data's migration runner records it as owner 'workflows'. Ids of instances are short random hex text; artifact ids
-- are lowercase sha256 hex of their content (a folder's: of its manifest).

CREATE TABLE workflow_instances (
    id                  TEXT    PRIMARY KEY,
    definition_id       TEXT    NOT NULL,
    definition_version  INTEGER NOT NULL,
    definition_name     TEXT    NULL,
    definition_json     TEXT    NOT NULL,   -- the definition as it was when the instance started
    definition_path     TEXT    NULL,       -- the file it was read from (for display)
    base_dir            TEXT    NOT NULL,   -- the definition's folder: relative paths in Literal inputs resolve here
    working_dir         TEXT    NOT NULL,   -- the caller's folder: relative paths given with --input resolve here
    inputs_json         TEXT    NOT NULL,   -- workflow input values given at start
    force               INTEGER NOT NULL DEFAULT 0 CHECK (force IN (0, 1)),
    status              TEXT    NOT NULL CHECK (status IN ('running', 'suspended', 'finished', 'faulted', 'cancelled')),
    state_json          TEXT    NOT NULL,   -- scheduler state: queue, join arrivals, variables, outputs
    error               TEXT    NULL,
    cancel_requested    INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    lease_owner         TEXT    NULL,       -- host:pid:process-start of the process running it
    lease_expires_at    TEXT    NULL,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    finished_at         TEXT    NULL
);
CREATE INDEX ix_workflow_instances_created ON workflow_instances(created_at);

CREATE TABLE workflow_executions (
    id                INTEGER PRIMARY KEY,
    instance_id       TEXT    NOT NULL REFERENCES workflow_instances(id) ON DELETE CASCADE,
    activity_id       TEXT    NOT NULL,
    activity_name     TEXT    NULL,
    activity_type     TEXT    NOT NULL,
    activity_version  INTEGER NOT NULL,
    iteration         INTEGER NOT NULL,   -- 1 for the first run of this activity in the instance, 2 for a loop's second ...
    status            TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'cached', 'suspended', 'faulted', 'cancelled', 'interrupted')),
    cache_key         TEXT    NULL,
    parameters_json   TEXT    NULL,
    outputs_json      TEXT    NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    error             TEXT    NULL,
    log               TEXT    NOT NULL DEFAULT '',
    started_at        TEXT    NOT NULL,
    finished_at       TEXT    NULL
);
CREATE INDEX ix_workflow_executions_instance ON workflow_executions(instance_id, id);

CREATE TABLE workflow_bookmarks (
    instance_id   TEXT NOT NULL REFERENCES workflow_instances(id) ON DELETE CASCADE,
    activity_id   TEXT NOT NULL,
    kind          TEXT NOT NULL,   -- e.g. 'judgments' (a labeling project reaching its quorum)
    payload_json  TEXT NOT NULL,
    message       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (instance_id, activity_id)
);
CREATE INDEX ix_workflow_bookmarks_kind ON workflow_bookmarks(kind);

CREATE TABLE artifacts (
    hash             TEXT    PRIMARY KEY,
    kind             TEXT    NOT NULL CHECK (kind IN ('dataset', 'model', 'adapter', 'reward-model', 'ref-logps', 'comparisons', 'judgments', 'report')),
    is_folder        INTEGER NOT NULL CHECK (is_folder IN (0, 1)),
    size_bytes       INTEGER NOT NULL,
    instance_id      TEXT    NULL,      -- the first producer; identical content from a later run keeps it
    activity_id      TEXT    NULL,
    stage_type       TEXT    NULL,
    stage_version    INTEGER NULL,
    output_name      TEXT    NULL,
    parameters_json  TEXT    NOT NULL DEFAULT '{}',
    created_at       TEXT    NOT NULL
);

CREATE TABLE artifact_inputs (
    artifact_hash  TEXT NOT NULL REFERENCES artifacts(hash) ON DELETE CASCADE,
    input_name     TEXT NOT NULL,
    input_hash     TEXT NOT NULL,
    PRIMARY KEY (artifact_hash, input_name, input_hash)
);
CREATE INDEX ix_artifact_inputs_input ON artifact_inputs(input_hash);

CREATE TABLE stage_cache (
    cache_key      TEXT    PRIMARY KEY,   -- sha256(stage type, version, resolved parameters, input artifact hashes)
    stage_type     TEXT    NOT NULL,
    stage_version  INTEGER NOT NULL,
    outputs_json   TEXT    NOT NULL,
    instance_id    TEXT    NOT NULL,
    activity_id    TEXT    NOT NULL,
    created_at     TEXT    NOT NULL
);
