-- dbrelay 000004 down (PostgreSQL). Never with CASCADE: if one of the host's
-- objects depends on relay_api.hook_failures, this fails and drops nothing.
DROP VIEW IF EXISTS relay_api.hook_failures;
DROP TABLE relay.hook_run;
DROP TABLE relay.schema_object_history;
ALTER TABLE relay.schema_object DROP COLUMN shipped_sha256;
