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
