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
