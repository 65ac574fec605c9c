#!/usr/bin/env python3
"""The Python peer of `foiatrack mail import` for scripts/mail-bench.sh: reads an mbox file or a
Maildir folder with the standard library's `mailbox` and parses each message with `email`
(policy=email.policy.default), then stores what foiatrack stores into SQLite: the message's
Message-ID, sender, recipients, subject, date, text body, threading headers and content hash
(importing twice changes nothing), and each attachment by its sha256 in a files folder, in one
transaction. Matching and classification are left out (foiatrack does them too).

Usage: mail_bench_peer.py MBOX_OR_MAILDIR DATABASE"""
import email
import email.policy
import hashlib
import mailbox
import os
import sqlite3
import sys

path, db_path = sys.argv[1], sys.argv[2]
files = db_path + ".files"
os.makedirs(files, exist_ok=True)
db = sqlite3.connect(db_path)
db.executescript("""
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY, message_id TEXT UNIQUE, from_addr TEXT, to_addr TEXT, cc TEXT,
    subject TEXT NOT NULL, sent_on TEXT, body TEXT NOT NULL, in_reply_to TEXT, refs TEXT,
    content_sha256 TEXT NOT NULL UNIQUE, source TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY, message INTEGER NOT NULL REFERENCES messages (id), sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL, content_type TEXT NOT NULL);
""")
box = mailbox.Maildir(path, factory=None, create=False) if os.path.isdir(path) else mailbox.mbox(path, create=False)
policy = email.policy.default


def addresses(msg, name):
    header = msg[name]
    if header is None:
        return []
    try:
        return [a.addr_spec.lower() for a in header.addresses]
    except Exception:
        return []


imported = skipped = 0
for key in box.iterkeys():
    raw = box.get_bytes(key)
    try:
        msg = email.message_from_bytes(raw, policy=policy)
        body_part = msg.get_body(preferencelist=("plain", "html"))
        body = body_part.get_content() if body_part is not None else ""
        date = msg["Date"]
        sent_on = date.datetime.date().isoformat() if date is not None and date.datetime else None
        frm = addresses(msg, "From")
        cur = db.execute(
            "INSERT OR IGNORE INTO messages (message_id, from_addr, to_addr, cc, subject, sent_on, body, in_reply_to,"
            " refs, content_sha256, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (msg["Message-ID"], frm[0] if frm else "", ", ".join(addresses(msg, "To")),
             ", ".join(addresses(msg, "Cc")), str(msg["Subject"] or ""), sent_on, body, msg["In-Reply-To"],
             msg["References"], hashlib.sha256(raw).hexdigest(), f"{path}#{key}"))
        if cur.rowcount == 0:
            continue
        for part in msg.iter_attachments():
            data = part.get_content()
            if isinstance(data, str):
                data = data.encode()
            elif not isinstance(data, bytes):
                data = part.get_payload(decode=True) or b""
            sha = hashlib.sha256(data).hexdigest()
            dest = os.path.join(files, sha)
            if not os.path.exists(dest):
                with open(dest, "wb") as f:
                    f.write(data)
            db.execute("INSERT INTO attachments (message, sha256, file_name, content_type) VALUES (?, ?, ?, ?)",
                       (cur.lastrowid, sha, part.get_filename() or "attachment", part.get_content_type()))
        imported += 1
    except Exception as e:  # a message that cannot be read is skipped, as foiatrack does
        skipped += 1
        print(f"{path}#{key}: skipped: {e}", file=sys.stderr)
db.commit()
print(f"{imported} imported, {skipped} skipped")
