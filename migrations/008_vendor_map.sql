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
