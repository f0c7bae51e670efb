-- The index of every flag's change requests (issue 16), for `GET /admin/change-requests`. Each
-- flag object pushes its requests here through its outbox; the highest `revision` wins.
CREATE TABLE change_requests (
  id TEXT PRIMARY KEY,
  flag TEXT NOT NULL,
  status TEXT NOT NULL,
  revision INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  request TEXT NOT NULL
);
CREATE INDEX change_requests_by_status ON change_requests (status, created_at);
CREATE INDEX change_requests_by_flag ON change_requests (flag, created_at);
