-- foiatrack: the canonical, readable schema of a foiatrack database.
--
-- A fresh database is created from this file. An older database is brought up to date by the
-- numbered files in migrations/, and a test proves both roads end at the same schema. Dates are
-- ISO-8601 text (YYYY-MM-DD); money is INTEGER cents; enum-like columns carry CHECK constraints.

-- One row per jurisdiction (50 states, DC, and federal FOIA as 'US'): its public-records law as
-- researched (data/laws.csv). Reloaded by `init`; a user's corrections live in law_overrides.
CREATE TABLE laws (
    code           TEXT PRIMARY KEY CHECK (length(code) = 2 AND code = upper(code)),
    law_name       TEXT NOT NULL,
    short_name     TEXT NOT NULL,
    citation       TEXT NOT NULL,
    response_days  INTEGER CHECK (response_days IS NULL OR response_days > 0),
    day_type       TEXT NOT NULL CHECK (day_type IN ('business', 'calendar', 'none')),
    extension_days INTEGER CHECK (extension_days IS NULL OR extension_days > 0),
    notes          TEXT NOT NULL DEFAULT '',
    source         TEXT NOT NULL DEFAULT '',
    CHECK ((day_type = 'none') = (response_days IS NULL))
);

-- A user's correction of a built-in law (a legislature changed it). NULL means "as built in".
-- Survives `init`, which only rewrites the laws table.
CREATE TABLE law_overrides (
    code           TEXT PRIMARY KEY REFERENCES laws (code),
    law_name       TEXT,
    citation       TEXT,
    response_days  INTEGER CHECK (response_days IS NULL OR response_days > 0),
    day_type       TEXT CHECK (day_type IS NULL OR day_type IN ('business', 'calendar', 'none')),
    extension_days INTEGER CHECK (extension_days IS NULL OR extension_days > 0),
    note           TEXT NOT NULL DEFAULT '',
    set_on         TEXT NOT NULL
);

-- Laws v2: each jurisdiction's route after a denial or silence (data/appeals.csv), whom its
-- response period binds and who may request under it (data/law_scope.csv). Built in and
-- reloaded by `init` like `laws`; a user's corrections of these fields live in
-- law_field_overrides (the correction's date and note stay in law_overrides).
CREATE TABLE law_routes (
    code                         TEXT PRIMARY KEY REFERENCES laws (code),
    appeal_kind                  TEXT NOT NULL CHECK (appeal_kind IN ('administrative', 'external_review',
                                     'court_only', 'both')),
    appeal_body                  TEXT NOT NULL DEFAULT '',
    appeal_addressed_to          TEXT NOT NULL DEFAULT '' CHECK (appeal_addressed_to IN ('', 'agency', 'body')),
    appeal_binds                 TEXT NOT NULL DEFAULT 'all' CHECK (appeal_binds IN ('all', 'state_agencies',
                                     'executive_agencies')),
    other_appeal_body            TEXT NOT NULL DEFAULT '',
    other_appeal_citation        TEXT NOT NULL DEFAULT '',
    court_remedy                 TEXT NOT NULL DEFAULT '',
    appeal_days                  INTEGER CHECK (appeal_days IS NULL OR appeal_days > 0),
    appeal_day_type              TEXT CHECK (appeal_day_type IS NULL OR appeal_day_type IN ('business', 'calendar')),
    appeal_window_from           TEXT CHECK (appeal_window_from IS NULL OR appeal_window_from IN ('denial',
                                     'denial_or_deemed_denial', 'denial_or_request')),
    appeal_deadline_note         TEXT NOT NULL DEFAULT '',
    constructive_denial          TEXT NOT NULL DEFAULT 'no' CHECK (constructive_denial IN ('yes', 'no',
                                     'deemed_approved')),
    constructive_denial_citation TEXT NOT NULL DEFAULT '',
    constructive_denial_note     TEXT NOT NULL DEFAULT '',
    pre_suit_notice_days         INTEGER CHECK (pre_suit_notice_days IS NULL OR pre_suit_notice_days > 0),
    pre_suit_notice_day_type     TEXT CHECK (pre_suit_notice_day_type IS NULL
                                     OR pre_suit_notice_day_type IN ('business', 'calendar')),
    pre_suit_notice_citation     TEXT NOT NULL DEFAULT '',
    pre_suit_notice_note         TEXT NOT NULL DEFAULT '',
    letter_citation              TEXT NOT NULL,
    appeal_citation              TEXT NOT NULL DEFAULT '',
    appeal_sources               TEXT NOT NULL DEFAULT '',
    appeal_notes                 TEXT NOT NULL DEFAULT '',
    period_binds                 TEXT NOT NULL DEFAULT 'all' CHECK (period_binds IN ('all', 'state_agencies',
                                     'executive_agencies')),
    period_binds_citation        TEXT NOT NULL DEFAULT '',
    period_binds_note            TEXT NOT NULL DEFAULT '',
    eligibility                  TEXT NOT NULL DEFAULT 'anyone' CHECK (eligibility IN ('anyone', 'state_citizens',
                                     'state_residents')),
    eligibility_citation         TEXT NOT NULL DEFAULT '',
    eligibility_note             TEXT NOT NULL DEFAULT '',
    scope_sources                TEXT NOT NULL DEFAULT '',
    CHECK ((appeal_days IS NULL) = (appeal_day_type IS NULL)),
    CHECK (appeal_days IS NULL OR appeal_window_from IS NOT NULL),
    CHECK ((pre_suit_notice_days IS NULL) = (pre_suit_notice_day_type IS NULL))
);

-- A user's correction of one field of law_routes (or of the letter citation), by name; the
-- value is checked by foiatrack before it is stored. Deleted with the correction by `law reset`.
CREATE TABLE law_field_overrides (
    code  TEXT NOT NULL REFERENCES laws (code),
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (code, field)
);

-- How one jurisdiction's holiday calendar differs from the federal one computed by rule: a day it
-- adds (e.g. the day after Thanksgiving) or a federal day it does not observe.
CREATE TABLE holiday_changes (
    state  TEXT NOT NULL REFERENCES laws (code),
    date   TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    change TEXT NOT NULL CHECK (change IN ('added', 'removed')),
    name   TEXT NOT NULL,
    PRIMARY KEY (state, date)
);

-- A public body that receives requests: a city, county, school district, state agency...
-- response_days/day_type, when set, override the state law for this agency alone.
CREATE TABLE agencies (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE CHECK (key <> '' AND key NOT GLOB '*[^a-z0-9-]*'),
    name            TEXT NOT NULL CHECK (name <> ''),
    state           TEXT NOT NULL REFERENCES laws (code),
    kind            TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ('city', 'county', 'school_district',
                        'state_agency', 'special_district', 'other')),
    population      INTEGER CHECK (population IS NULL OR population >= 0),
    email           TEXT,
    portal_url      TEXT,
    mailing_address TEXT,
    phone           TEXT,
    contact_name    TEXT,
    notes           TEXT,
    response_days   INTEGER CHECK (response_days IS NULL OR response_days > 0),
    day_type        TEXT CHECK (day_type IS NULL OR day_type IN ('business', 'calendar', 'none')),
    CHECK ((response_days IS NULL AND (day_type IS NULL OR day_type = 'none'))
        OR (response_days IS NOT NULL AND day_type IN ('business', 'calendar')))
);
CREATE INDEX agencies_state ON agencies (state);
-- Settings: the requester profile that signs letters, and campaign-wide policy.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY CHECK (name IN ('requester.name', 'requester.organization', 'requester.email',
              'requester.phone', 'requester.address', 'requester.state', 'policy.very_overdue_days',
              'policy.followups_before_appeal')),
    value TEXT NOT NULL
);

-- A campaign: one records request text sent to many agencies, with its policy.
CREATE TABLE campaigns (
    id              INTEGER PRIMARY KEY,
    slug            TEXT NOT NULL UNIQUE CHECK (slug <> '' AND slug NOT GLOB '*[^a-z0-9-]*'),
    title           TEXT NOT NULL CHECK (title <> ''),
    records         TEXT NOT NULL CHECK (records <> ''),
    period_start    TEXT,
    period_end      TEXT,
    code_prefix     TEXT NOT NULL UNIQUE CHECK (code_prefix <> '' AND code_prefix NOT GLOB '*[^A-Z0-9]*'),
    vendor_pattern  TEXT,
    fee_limit_cents INTEGER CHECK (fee_limit_cents IS NULL OR fee_limit_cents >= 0),
    fee_waiver      TEXT,
    followup_every  INTEGER NOT NULL DEFAULT 10 CHECK (followup_every > 0),
    created_on      TEXT NOT NULL,
    CHECK (period_start IS NULL OR period_end IS NULL OR period_start <= period_end)
);

-- One campaign's request to one agency. status .. agency_reference are a cache of the replay of
-- the request's events (the source of truth), refreshed in the same transaction as any change.
CREATE TABLE requests (
    id                INTEGER PRIMARY KEY,
    campaign_id       INTEGER NOT NULL REFERENCES campaigns (id),
    agency_id         INTEGER NOT NULL REFERENCES agencies (id),
    seq               INTEGER NOT NULL CHECK (seq > 0),
    tracking_code     TEXT NOT NULL UNIQUE,
    created_on        TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'awaiting_ack',
                          'awaiting_response', 'fix_required', 'payment_required', 'appealing', 'partial',
                          'completed', 'rejected', 'no_records', 'withdrawn')),
    sent_on           TEXT,
    due_on            TEXT,
    followup_on       TEXT,
    first_response_on TEXT,
    closed_on         TEXT,
    followups         INTEGER NOT NULL DEFAULT 0,
    fee_cents         INTEGER,
    agency_reference  TEXT,
    UNIQUE (campaign_id, agency_id),
    UNIQUE (campaign_id, seq)
);
CREATE INDEX requests_agency ON requests (agency_id);
CREATE INDEX requests_status_due ON requests (status, due_on);

-- The append-only history of a request. A mistake is voided (voided_on, void_reason), never
-- edited or deleted; triggers enforce it.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES requests (id),
    kind         TEXT NOT NULL CHECK (kind IN ('sent', 'acknowledged', 'extended', 'estimated', 'fee',
                     'clarification', 'resumed', 'partial', 'completed', 'rejected', 'no-records', 'withdrawn',
                     'appealed', 'reopened', 'followed-up', 'note')),
    on_date      TEXT NOT NULL,
    note         TEXT,
    days         INTEGER CHECK (days IS NULL OR days > 0),
    until        TEXT,
    amount_cents INTEGER CHECK (amount_cents IS NULL OR amount_cents >= 0),
    via          TEXT CHECK (via IS NULL OR via IN ('email', 'mail', 'portal', 'fax', 'phone')),
    reference    TEXT,
    recorded_on  TEXT NOT NULL,
    voided_on    TEXT,
    void_reason  TEXT,
    CHECK ((voided_on IS NULL) = (void_reason IS NULL))
);
CREATE INDEX events_request ON events (request_id, on_date);

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: void an event instead of deleting it');
END;

CREATE TRIGGER events_only_void BEFORE UPDATE ON events
WHEN OLD.voided_on IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.request_id IS NOT OLD.request_id OR NEW.kind IS NOT OLD.kind
  OR NEW.on_date IS NOT OLD.on_date OR NEW.note IS NOT OLD.note OR NEW.days IS NOT OLD.days
  OR NEW.until IS NOT OLD.until OR NEW.amount_cents IS NOT OLD.amount_cents OR NEW.via IS NOT OLD.via
  OR NEW.reference IS NOT OLD.reference OR NEW.recorded_on IS NOT OLD.recorded_on
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: only voiding an event once is allowed');
END;

-- A message or letter to or from an agency about a request: outbound letters as sent (full
-- text), inbound messages as received. An outbound email is written here as 'sending' and
-- committed before the SMTP server is contacted, and marked 'sent' once the server accepts it,
-- so a crash can neither send a letter twice nor forget one that went out. `kind` says what an
-- inbound message is: a reply a person wrote, a delivery failure report ('bounce', details in
-- bounces), an automatic reply (out-of-office, automatic receipt) or a records-portal
-- notification; only replies and portal mail count as the agency answering. A letter that
-- bounced points at the report (`bounced_by`); a letter sent again after a bounce points at the
-- letter it replaces (`resends`).
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
    kind       TEXT CHECK (kind IS NULL OR kind IN ('reply', 'bounce', 'autoreply', 'portal')),
    bounced_by INTEGER REFERENCES communications (id),
    resends    INTEGER REFERENCES communications (id),
    CHECK (direction = 'inbound' OR (request_id IS NOT NULL AND letter IS NOT NULL)),
    CHECK ((direction = 'inbound') = (state = 'received'))
);
CREATE INDEX communications_request ON communications (request_id, direction);

-- What an inbound message carries besides the communication row: how it threads, how it was
-- matched to a request, its content hash (for messages without a Message-ID), the sender's name,
-- and what its kind carries: the records portal that sent it, the portal's number or the agency's
-- reference it gives, and whether it is an automatic receipt acknowledging the request.
CREATE TABLE inbound_details (
    communication_id INTEGER PRIMARY KEY REFERENCES communications (id),
    cc               TEXT,
    in_reply_to      TEXT,
    refs             TEXT,
    content_sha256   TEXT NOT NULL UNIQUE,
    matched_by       TEXT CHECK (matched_by IS NULL OR matched_by IN ('in-reply-to', 'tracking-code',
                         'plus-address', 'sender', 'assigned', 'bounced-message-id', 'bounced-recipient',
                         'portal-number', 'agency-reference')),
    source           TEXT NOT NULL,
    from_name        TEXT,
    portal           TEXT,
    reference        TEXT,
    receipt          INTEGER NOT NULL DEFAULT 0 CHECK (receipt IN (0, 1))
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

-- Per-request figures the reports aggregate, kept with the request cache by the same replay, so a
-- report over a million requests is one pass of SQL.
CREATE TABLE request_metrics (
    request_id              INTEGER PRIMARY KEY REFERENCES requests (id),
    days_to_first_response  INTEGER,
    days_to_completion      INTEGER,
    stopped_days            INTEGER NOT NULL DEFAULT 0,
    appealed                INTEGER NOT NULL DEFAULT 0 CHECK (appealed IN (0, 1)),
    -- The agency answered at all: an agency event, or a reply or portal message received.
    responded               INTEGER NOT NULL DEFAULT 0 CHECK (responded IN (0, 1))
);
CREATE INDEX communications_inbound ON communications (request_id) WHERE direction = 'inbound';

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

-- Vendor maps: each campaign's raw vendor spellings -> canonical vendors. An entry's pattern is
-- a regular expression matched case-insensitively; the entry with the lowest position that
-- matches wins. A campaign without a row in vendor_maps uses the built-in starting map for its
-- vendor pattern (core::vendors); the first edit stores the whole map here.
CREATE TABLE vendor_maps (
    campaign_id INTEGER PRIMARY KEY REFERENCES campaigns (id),
    updated_on  TEXT NOT NULL
);

CREATE TABLE vendor_map_entries (
    campaign_id INTEGER NOT NULL REFERENCES vendor_maps (campaign_id),
    position    INTEGER NOT NULL CHECK (position > 0),
    pattern     TEXT NOT NULL CHECK (pattern <> '' AND length(pattern) <= 200),
    vendor      TEXT NOT NULL CHECK (vendor <> '' AND length(vendor) <= 100),
    PRIMARY KEY (campaign_id, position),
    UNIQUE (campaign_id, pattern)
);

-- 009: letters left 'sending' or refused by the mail server are few; pages find them directly.
CREATE INDEX communications_sending ON communications (request_id) WHERE state = 'sending';
CREATE INDEX communications_failed ON communications (request_id) WHERE state = 'failed';
CREATE INDEX communications_unmatched ON communications (created_on, id) WHERE request_id IS NULL AND direction = 'inbound';

-- A delivery report (kind 'bounce'): the letter it is about when found, the address that failed
-- and the server's status code. Temporary reports (delays) are kept and change nothing.
CREATE TABLE bounces (
    communication_id INTEGER PRIMARY KEY REFERENCES communications (id),
    letter_id        INTEGER REFERENCES communications (id),
    recipient        TEXT,
    status           TEXT,
    permanent        INTEGER NOT NULL CHECK (permanent IN (0, 1))
);
CREATE INDEX bounces_letter ON bounces (letter_id);

-- A records portal's number for a request (NextRequest "26-118", GovQA "R001234-010126"), read
-- from its mail; later mail quoting the number is matched to the request.
CREATE TABLE request_portal_numbers (
    request_id      INTEGER NOT NULL REFERENCES requests (id),
    portal          TEXT NOT NULL CHECK (portal <> ''),
    number          TEXT NOT NULL CHECK (number <> '' AND length(number) <= 64),
    first_seen_comm INTEGER NOT NULL REFERENCES communications (id),
    PRIMARY KEY (request_id, portal, number)
);
CREATE INDEX request_portal_numbers_number ON request_portal_numbers (number);

-- An address at an agency and whether it works: good (a reply came from it), failing (a letter
-- to it bounced) or unconfirmed (from the agency list, a reply from a new address, added by
-- hand, or a resend). The agency's main address (agencies.email) is always one of them.
CREATE TABLE agency_contacts (
    agency_id  INTEGER NOT NULL REFERENCES agencies (id),
    address    TEXT NOT NULL CHECK (address <> '' AND address = lower(address)),
    state      TEXT NOT NULL CHECK (state IN ('good', 'failing', 'unconfirmed')),
    source     TEXT NOT NULL CHECK (source IN ('agency-list', 'reply', 'bounce', 'resend', 'added')),
    first_seen TEXT,
    last_seen  TEXT,
    note       TEXT,
    PRIMARY KEY (agency_id, address)
);
CREATE INDEX agency_contacts_address ON agency_contacts (address);

-- The main address of an agency, as imported, added or edited, is a contact too.
CREATE TRIGGER agencies_email_contact AFTER INSERT ON agencies
WHEN NEW.email IS NOT NULL AND trim(NEW.email) <> ''
BEGIN
    INSERT INTO agency_contacts (agency_id, address, state, source)
    SELECT NEW.id, lower(trim(NEW.email)), 'unconfirmed', 'agency-list'
    WHERE NOT EXISTS (SELECT 1 FROM agency_contacts WHERE agency_id = NEW.id AND address = lower(trim(NEW.email)));
END;

CREATE TRIGGER agencies_email_contact_edit AFTER UPDATE OF email ON agencies
WHEN NEW.email IS NOT NULL AND trim(NEW.email) <> ''
BEGIN
    INSERT INTO agency_contacts (agency_id, address, state, source)
    SELECT NEW.id, lower(trim(NEW.email)), 'unconfirmed', 'agency-list'
    WHERE NOT EXISTS (SELECT 1 FROM agency_contacts WHERE agency_id = NEW.id AND address = lower(trim(NEW.email)));
END;

-- The database itself refuses a second request letter, or a second follow-up on one day. A
-- letter that bounced no longer counts, so it can be sent again, and a bounced letter is sent
-- again at most once at a time.
CREATE UNIQUE INDEX communications_one_request_letter ON communications (request_id)
    WHERE direction = 'outbound' AND letter = 'request' AND state IN ('sending', 'sent') AND bounced_by IS NULL;
CREATE UNIQUE INDEX communications_one_followup_a_day ON communications (request_id, created_on)
    WHERE direction = 'outbound' AND letter = 'followup' AND state IN ('sending', 'sent') AND bounced_by IS NULL;
CREATE UNIQUE INDEX communications_one_resend ON communications (resends)
    WHERE resends IS NOT NULL AND state IN ('sending', 'sent');
CREATE INDEX communications_bounced ON communications (bounced_by) WHERE bounced_by IS NOT NULL;

-- 012: an event suggested by an inbound message (core::reply::suggest) that a person applied (the
-- event it logged) or dismissed. Either way it is not offered again.
CREATE TABLE suggestion_actions (
    communication_id INTEGER NOT NULL REFERENCES communications (id),
    event_kind       TEXT NOT NULL CHECK (event_kind IN ('acknowledged', 'extended', 'estimated', 'fee',
                         'clarification', 'partial', 'completed', 'rejected', 'no-records')),
    action           TEXT NOT NULL CHECK (action IN ('applied', 'dismissed')),
    event_id         INTEGER REFERENCES events (id),
    acted_on         TEXT NOT NULL,
    actor            TEXT NOT NULL,
    PRIMARY KEY (communication_id, event_kind),
    CHECK ((action = 'applied') = (event_id IS NOT NULL))
);

-- Candidate look-ups for an unmatched message: agencies by the domain of their address and by
-- name, requests by the agency's reference number (all as SQLite's lower() writes them).
CREATE INDEX agencies_email_domain ON agencies (lower(substr(email, instr(email, '@') + 1)));
CREATE INDEX agencies_name_lower ON agencies (lower(name));
CREATE INDEX requests_agency_reference ON requests (lower(agency_reference)) WHERE agency_reference IS NOT NULL;
-- A campaign's requests by status and due date, with their order and agency: the campaign page's
-- filters, sorts and overdue count, and the home page's lists, read from this index alone.
CREATE INDEX requests_campaign_status_due ON requests (campaign_id, status, due_on, seq, agency_id);

-- What `mail fetch` has read from each IMAP folder: per account, server (host:port) and folder,
-- the folder's UIDVALIDITY and the highest UID read (imported, found already imported, or
-- skipped and reported). When the server reports another UIDVALIDITY it has renumbered the
-- folder: last_uid goes back to 0 and the folder is read again (import recognises messages it
-- already has). claimed_by and claimed_until mark the one fetch working on the folder, so two at
-- once do not both import.
CREATE TABLE mailbox_state (
    account       TEXT NOT NULL CHECK (length(account) <= 320),
    host          TEXT NOT NULL CHECK (host <> '' AND length(host) <= 270),
    folder        TEXT NOT NULL CHECK (folder <> '' AND length(folder) <= 1000),
    uidvalidity   INTEGER NOT NULL CHECK (uidvalidity BETWEEN 1 AND 4294967295),
    last_uid      INTEGER NOT NULL DEFAULT 0 CHECK (last_uid BETWEEN 0 AND 4294967295),
    updated_on    TEXT NOT NULL,
    -- "pid 4242 on HOST": the process holding the claim, until claimed_until (Unix seconds).
    claimed_by    TEXT,
    claimed_until INTEGER,
    PRIMARY KEY (account, host, folder),
    CHECK ((claimed_by IS NULL) = (claimed_until IS NULL))
);
