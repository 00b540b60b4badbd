-- Reading messages (GET /{projectKey}/messages) and their retention.
-- A resource's history, `resource(id = …)`, is served by the UNIQUE (project, resource_id,
-- sequence_number) index of 0001. Messages of a type, in creation order:
CREATE INDEX messages_type ON messages (project, type, created_at, id);
-- Sorting by creation time pages through (created_at, id): the id breaks ties.
DROP INDEX messages_created_at;
CREATE INDEX messages_created_at ON messages (project, created_at, id);
-- The scheduled retention deletes the oldest messages of every project first.
CREATE INDEX messages_expiry ON messages (created_at);
