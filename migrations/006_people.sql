-- People: who may sign in to the web workspace, and who did each thing.

-- A person who signs in to `foiatrack serve`. Passwords are stored only as argon2 hashes.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE CHECK (name <> '' AND length(name) <= 64),
    role          TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'viewer')),
    password_hash TEXT NOT NULL,
    created_on    TEXT NOT NULL
);

-- Who logged each event (the signed-in user; for the CLI the OS user or `--as NAME`) and who
-- voided it. Kept beside the append-only events so their definition never changes.
CREATE TABLE event_actors (
    event_id   INTEGER PRIMARY KEY REFERENCES events (id),
    actor      TEXT NOT NULL,
    voided_by  TEXT
);
