-- Data 0004: the labeling queue's next-item query excludes the comparisons the annotator already had
-- (leased, done, skipped). With comparison_id in the annotator index that set is read from the index alone; without
-- it, PostgreSQL fetched every one of the annotator's assignment rows from the table (at 10,000 judgments per
-- annotator, 12 of the query's 17 ms). The new index serves every lookup the old one did (same leading columns).

DROP INDEX ix_assignments_annotator;
CREATE INDEX ix_assignments_annotator ON assignments(annotator_id, project_id, state, comparison_id);
