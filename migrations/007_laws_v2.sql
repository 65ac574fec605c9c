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

-- A new setting, requester.state: the settings table names its keys, so it is rebuilt (copied
-- aside, recreated, copied back) to keep the CREATE text schema.sql has.
CREATE TABLE settings_before_6 AS SELECT name, value FROM settings;
DROP TABLE settings;
CREATE TABLE settings (
    name  TEXT PRIMARY KEY CHECK (name IN ('requester.name', 'requester.organization', 'requester.email',
              'requester.phone', 'requester.address', 'requester.state', 'policy.very_overdue_days',
              'policy.followups_before_appeal')),
    value TEXT NOT NULL
);
INSERT INTO settings (name, value) SELECT name, value FROM settings_before_6;
DROP TABLE settings_before_6;
