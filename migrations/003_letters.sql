
-- A message or letter to or from an agency about a request: outbound letters as sent (full
-- text), inbound replies as received. An outbound email is written here as 'sending' and
-- committed before the SMTP server is contacted, and marked 'sent' once the server accepts it,
-- so a crash can neither send a letter twice nor forget one that went out.
CREATE TABLE communications (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER REFERENCES requests (id),
    direction  TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    letter     TEXT CHECK (letter IS NULL OR letter IN ('request', 'followup', 'appeal')),
    channel    TEXT NOT NULL CHECK (channel IN ('email', 'file', 'mail', 'portal')),
    state      TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'abandoned', 'received')),
    message_id TEXT UNIQUE,
    from_addr  TEXT,
    to_addr    TEXT,
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    created_on TEXT NOT NULL,
    sent_on    TEXT,
    error      TEXT,
    attempts   INTEGER NOT NULL DEFAULT 1 CHECK (attempts > 0),
    CHECK (direction = 'inbound' OR (request_id IS NOT NULL AND letter IS NOT NULL)),
    CHECK ((direction = 'inbound') = (state = 'received'))
);
CREATE INDEX communications_request ON communications (request_id, direction);

-- The database itself refuses a second request letter, or a second follow-up on one day.
CREATE UNIQUE INDEX communications_one_request_letter ON communications (request_id)
    WHERE direction = 'outbound' AND letter = 'request' AND state IN ('sending', 'sent');
CREATE UNIQUE INDEX communications_one_followup_a_day ON communications (request_id, created_on)
    WHERE direction = 'outbound' AND letter = 'followup' AND state IN ('sending', 'sent');
