
-- Per-request figures the reports aggregate, kept with the request cache by the same replay, so a
-- report over a million requests is one pass of SQL.
CREATE TABLE request_metrics (
    request_id              INTEGER PRIMARY KEY REFERENCES requests (id),
    days_to_first_response  INTEGER,
    days_to_completion      INTEGER,
    stopped_days            INTEGER NOT NULL DEFAULT 0,
    appealed                INTEGER NOT NULL DEFAULT 0 CHECK (appealed IN (0, 1)),
    -- The agency answered at all: an agency event or any reply received.
    responded               INTEGER NOT NULL DEFAULT 0 CHECK (responded IN (0, 1))
);
CREATE INDEX requests_campaign_status ON requests (campaign_id, status);
CREATE INDEX communications_inbound ON communications (request_id) WHERE direction = 'inbound';
