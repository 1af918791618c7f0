-- Workflows 0003: the process that ran each activity execution (host:pid:start), so `align status ID` shows who ran
-- what when `align worker` processes on several machines share the instance's stages. Null on rows written before it.

ALTER TABLE workflow_executions ADD COLUMN worker TEXT NULL;
