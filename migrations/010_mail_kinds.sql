-- Mail kinds (issue 12): what each inbound message is (a reply, a bounce, an automatic reply or
-- a records-portal notification), bounces tied to the letters they report, portal numbers kept
-- on requests, and each agency's addresses with whether they work.

-- What an inbound message is; NULL for letters sent. Messages imported before this version
-- were all taken as replies, and stay so.
ALTER TABLE communications ADD COLUMN kind TEXT CHECK (kind IS NULL OR kind IN ('reply', 'bounce', 'autoreply', 'portal'));
-- On a letter: the report saying it could not be delivered (a permanent failure).
ALTER TABLE communications ADD COLUMN bounced_by INTEGER REFERENCES communications (id);
-- On a letter sent again after a bounce (`send --resend`): the letter that bounced.
ALTER TABLE communications ADD COLUMN resends INTEGER REFERENCES communications (id);
UPDATE communications SET kind = 'reply' WHERE direction = 'inbound';

-- A bounced letter no longer counts as the request's one letter (or the day's one follow-up),
-- so it can be sent again; a bounced letter is sent again at most once at a time.
DROP INDEX communications_one_request_letter;
CREATE UNIQUE INDEX communications_one_request_letter ON communications (request_id)
    WHERE direction = 'outbound' AND letter = 'request' AND state IN ('sending', 'sent') AND bounced_by IS NULL;
DROP INDEX communications_one_followup_a_day;
CREATE UNIQUE INDEX communications_one_followup_a_day ON communications (request_id, created_on)
    WHERE direction = 'outbound' AND letter = 'followup' AND state IN ('sending', 'sent') AND bounced_by IS NULL;
CREATE UNIQUE INDEX communications_one_resend ON communications (resends)
    WHERE resends IS NOT NULL AND state IN ('sending', 'sent');
CREATE INDEX communications_bounced ON communications (bounced_by) WHERE bounced_by IS NOT NULL;

-- New ways a message is matched: a bounce by the Message-ID of our letter it returns or by the
-- address that failed, portal mail by the portal's number, mail by the agency's reference. The
-- table names its values, so it is rebuilt (copied aside, recreated, copied back). It gains what
-- a message's kind carries: the sender's name, the portal and the number or reference it gives,
-- and whether it is an automatic receipt for the request.
CREATE TABLE inbound_details_before_mail_kinds AS
    SELECT communication_id, cc, in_reply_to, refs, content_sha256, matched_by, source FROM inbound_details;
DROP TABLE inbound_details;
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
INSERT INTO inbound_details (communication_id, cc, in_reply_to, refs, content_sha256, matched_by, source)
    SELECT communication_id, cc, in_reply_to, refs, content_sha256, matched_by, source
    FROM inbound_details_before_mail_kinds;
DROP TABLE inbound_details_before_mail_kinds;

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

-- Existing agencies' addresses: good when a reply has come from one, else unconfirmed.
INSERT INTO agency_contacts (agency_id, address, state, source, first_seen, last_seen)
SELECT a.id, lower(trim(a.email)),
       CASE WHEN seen.last IS NULL THEN 'unconfirmed' ELSE 'good' END, 'agency-list', seen.first, seen.last
FROM agencies a
LEFT JOIN (SELECT r.agency_id, lower(c.from_addr) AS address, MIN(c.created_on) AS first, MAX(c.created_on) AS last
           FROM communications c JOIN requests r ON r.id = c.request_id
           WHERE c.direction = 'inbound' AND c.from_addr IS NOT NULL
           GROUP BY r.agency_id, lower(c.from_addr)) seen
       ON seen.agency_id = a.id AND seen.address = lower(trim(a.email))
WHERE a.email IS NOT NULL AND trim(a.email) <> '';
