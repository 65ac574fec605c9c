-- Indexes for the web pages, so a page's work grows with what it shows, not with the database.
-- A campaign's rows by status and due date (the campaign page's filters, its "sort by due" and
-- its overdue count, and the home page's overdue and due-soon lists) come straight from one
-- index; it also answers everything the (campaign_id, status) index did.
DROP INDEX IF EXISTS requests_campaign_status;
CREATE INDEX requests_campaign_status_due ON requests (campaign_id, status, due_on);
-- Letters left 'sending' by a stopped process, and letters the mail server refused, are few:
-- the campaign page and the home page look them up without reading every message.
CREATE INDEX communications_sending ON communications (request_id) WHERE state = 'sending';
CREATE INDEX communications_failed ON communications (request_id) WHERE state = 'failed';
