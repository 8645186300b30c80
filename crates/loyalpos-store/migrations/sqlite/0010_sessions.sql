-- Devices' STOMP sessions (push.md §2.2, Auth.Sessions.refresh): a device is online while one of its
-- sessions has online_until in the future. An ended session keeps its row (online_until = its end):
-- a device that speaks sessions follows them, not its tokens. Rows go with the events' retention.
CREATE TABLE device_sessions (
    session      TEXT PRIMARY KEY,
    device_id    TEXT NOT NULL,
    online_until INTEGER NOT NULL,
    ended        INTEGER
);
CREATE INDEX device_sessions_device ON device_sessions (device_id, online_until);

-- STOMP sessions that acknowledge events (push.md §2.4, x-resume-session): the newest event the
-- session acknowledged; a reconnect that names the session gets every later event again. Rows go
-- with the events' retention.
CREATE TABLE stomp_sessions (
    session     TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    acked_seq   INTEGER NOT NULL,
    updated     INTEGER NOT NULL
);
