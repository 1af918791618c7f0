-- PostgreSQL dialect of ../0002_workflow_definitions.sql (same tables, columns, indexes and version). Workflows 0002: stored workflow definitions, edited in the designer (/workflows) or saved with `align workflows save FILE`.
-- Owned by Alignment.Workflows.Engine (Definitions/DefinitionRepository.cs). Every save is a new row: version = max + 1 for
-- its definition id, older versions stay readable. Exactly one row per definition id has is_latest = 1, and the JSON
-- of each row carries the same "version", "id" ("<definitionId>-v<version>") and "isLatest" as its columns.

CREATE TABLE workflow_definitions (
    definition_id  TEXT    NOT NULL,
    version        BIGINT  NOT NULL CHECK (version >= 1),
    name           TEXT    NULL,
    json           TEXT    NOT NULL,   -- the whole Elsa 3 definition document, unknown keys included
    is_latest      BIGINT  NOT NULL CHECK (is_latest IN (0, 1)),
    error_count    BIGINT  NOT NULL DEFAULT 0 CHECK (error_count >= 0),   -- validation errors when saved (> 0: a draft)
    source_dir     TEXT    NULL,       -- folder relative paths in Literal inputs resolve against (a file's folder on import)
    created_at     TEXT    NOT NULL,
    created_by     TEXT    NOT NULL,   -- the account name, or 'cli' for `align workflows save`
    PRIMARY KEY (definition_id, version)
);
CREATE UNIQUE INDEX ux_workflow_definitions_latest ON workflow_definitions(definition_id) WHERE is_latest = 1;
CREATE INDEX ix_workflow_definitions_created ON workflow_definitions(created_at);
