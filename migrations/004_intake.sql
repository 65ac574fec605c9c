
-- What an inbound message carries besides the communication row: how it threads, how it was
-- matched to a request, and its content hash (for messages without a Message-ID).
CREATE TABLE inbound_details (
    communication_id INTEGER PRIMARY KEY REFERENCES communications (id),
    cc               TEXT,
    in_reply_to      TEXT,
    refs             TEXT,
    content_sha256   TEXT NOT NULL UNIQUE,
    matched_by       TEXT CHECK (matched_by IS NULL OR matched_by IN ('in-reply-to', 'tracking-code',
                         'plus-address', 'sender', 'assigned')),
    source           TEXT NOT NULL
);

-- A stored file, content-addressed: the bytes live in the files folder beside the database
-- under their sha256, never under a name an outsider chose.
CREATE TABLE files (
    sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    size   INTEGER NOT NULL CHECK (size >= 0)
);

-- A file attached to an inbound message; the sender's file name is kept only as metadata.
CREATE TABLE attachments (
    id               INTEGER PRIMARY KEY,
    communication_id INTEGER NOT NULL REFERENCES communications (id),
    sha256           TEXT NOT NULL REFERENCES files (sha256),
    file_name        TEXT NOT NULL,
    content_type     TEXT NOT NULL DEFAULT 'application/octet-stream'
);
CREATE INDEX attachments_communication ON attachments (communication_id);

-- A spending file an agency returned, imported into the dataset.
CREATE TABLE data_sources (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER NOT NULL REFERENCES requests (id),
    sha256        TEXT NOT NULL REFERENCES files (sha256),
    file_name     TEXT NOT NULL,
    format        TEXT NOT NULL CHECK (format IN ('csv', 'xlsx', 'xls', 'ods')),
    sheet         TEXT,
    header_row    INTEGER NOT NULL CHECK (header_row > 0),
    columns       TEXT NOT NULL,
    vendor_pattern TEXT,
    imported_on   TEXT NOT NULL,
    rows_read     INTEGER NOT NULL,
    UNIQUE (request_id, sha256)
);

-- One row of an agency's spending file, with where it came from. Rows that do not match the
-- vendor pattern are kept, excluded with the reason, so every total can be audited.
CREATE TABLE transactions (
    id              INTEGER PRIMARY KEY,
    source_id       INTEGER NOT NULL REFERENCES data_sources (id),
    row_number      INTEGER NOT NULL CHECK (row_number > 0),
    txn_date        TEXT NOT NULL,
    amount_cents    INTEGER NOT NULL,
    vendor          TEXT NOT NULL,
    description     TEXT,
    excluded_reason TEXT
);
CREATE INDEX transactions_source ON transactions (source_id);

-- A total an agency reported instead of (or as well as) transactions.
CREATE TABLE reported_totals (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests (id),
    year         INTEGER NOT NULL CHECK (year BETWEEN 1900 AND 2200),
    amount_cents INTEGER NOT NULL,
    note         TEXT,
    recorded_on  TEXT NOT NULL,
    UNIQUE (request_id, year)
);
