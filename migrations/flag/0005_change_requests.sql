-- Change requests (issue 16): changes held for an approver (a protected flag) or for their time
-- (`apply_at`). `request` is the whole request as JSON; `status` and `apply_at` (ms) are copied
-- out of it so the alarm finds what is due. `n` numbers the flag's requests (id `<flag>~<n>`).
CREATE TABLE change_requests (
  n INTEGER PRIMARY KEY,
  status TEXT NOT NULL,
  apply_at INTEGER,
  request TEXT NOT NULL
);
CREATE INDEX change_requests_due ON change_requests (status, apply_at);
