-- Suggestions: what a person did with an event a reply suggested, and the indexes that let
-- `mail unmatched` find the likely requests of a message without reading every agency or request.

-- An event suggested by an inbound message (core::reply::suggest) that a person applied (the
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
