#!/usr/bin/env python3
"""Writes a synthetic mailbox of N small, realistic messages for the mail import benchmark
(scripts/mail-bench.sh): an mbox file and the same messages as a Maildir folder.

Usage: gen_mail.py N OUTBOX MBOX MAILDIR

OUTBOX is the folder of .eml letters `foiatrack send --outbox` wrote: replies quote their
tracking codes and Message-IDs and come from the addresses they went to. The mix, by message:
replies matched by In-Reply-To or by the tracking code in the subject or body, out-of-office
replies, replies with small attachments, a few delivery failure reports, and unmatched mail
(newsletters, vendors, colleagues). Only reserved example domains are used. Deterministic."""
import base64
import email.utils
import os
import random
import re
import sys
import time

n, outbox, mbox_path, maildir_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rng = random.Random(2026)

letters = []  # (code, to, message_id)
for name in sorted(os.listdir(outbox)):
    if not name.endswith(".eml"):
        continue
    head = open(os.path.join(outbox, name), encoding="utf-8").read().split("\n\n", 1)[0]
    fields = dict(re.findall(r"^(To|Message-ID): (.*)$", head, re.M))
    letters.append((name[:-4], fields["To"].strip(), fields["Message-ID"].strip()))
assert letters, "no letters in the outbox"

WORDS = ("records request purchase card statements fiscal year office clerk review responsive "
         "documents copies estimate week department finance county city attached please note "
         "search exemption invoice vendor amazon transactions spreadsheet portal").split()
NAMES = ["Pat Lee", "Sam Ortiz", "Chris Young", "Robin Shah", "Alex Kim", "Jordan Diaz"]
OOO = ["I am out of the office until Monday with limited access to email.",
       "Thank you for your message. I am away and will reply when I return."]


def sentence(k):
    words = [rng.choice(WORDS) for _ in range(k)]
    return " ".join(words).capitalize() + "."


def paragraph():
    return " ".join(sentence(rng.randint(6, 14)) for _ in range(rng.randint(2, 4)))


def wrap(text, width=72):
    out, line = [], ""
    for w in text.split():
        if line and len(line) + 1 + len(w) > width:
            out.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    if line:
        out.append(line)
    return "\n".join(out)


def date_of(i):
    # Spread over February and March 2026.
    t = 1769904000 + i * 233 + (i * 7919) % 3600  # 2026-02-01 onwards
    return t, email.utils.formatdate(t, localtime=False)


def message(i):
    """(envelope sender, message text) for message i."""
    t, date = date_of(i)
    code, to, letter_id = rng.choice(letters)
    domain = to.split("@")[1]
    mid = f"<{i}.{rng.randrange(16**8):08x}@{domain}>"
    roll = rng.random()
    headers = [("Date", date), ("Message-ID", mid)]
    if roll < 0.25:  # a reply in the thread of our letter
        sender = to
        headers += [("From", f"{rng.choice(NAMES)} <{sender}>"), ("To", "records@newsroom.example.net"),
                    ("Subject", f"RE: Public records request {code}: Purchases"),
                    ("In-Reply-To", letter_id), ("References", letter_id)]
        body = f"Good morning,\n\n{wrap(paragraph())}\n\nFrom the records office:\n{wrap(paragraph())}\n\n" \
               f"Regards,\nRecords Office\n\n> Reference: {code}\n> {wrap(sentence(10))}\n"
        return sender, headers, body, None
    if roll < 0.45:  # a reply by a colleague at the agency, the code in the body only
        sender = f"finance.office@{domain}"
        headers += [("From", f"Finance Office <{sender}>"), ("To", "Jane Reporter <records@newsroom.example.net>"),
                    ("Subject", rng.choice(["Your request", "Records", "Question about your request"]))]
        body = f"Hello,\n\nRegarding your request {code}: {wrap(paragraph())}\n\nThank you,\nFinance\n"
        return sender, headers, body, None
    if roll < 0.50:  # out of office
        sender = f"{rng.choice(NAMES).split()[0].lower()}@{domain}"
        headers += [("From", sender), ("To", "records@newsroom.example.net"),
                    ("Subject", f"Automatic reply: Public records request {code}: Purchases"),
                    ("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")]
        return sender, headers, rng.choice(OOO) + "\n", None
    if roll < 0.56:  # records attached
        sender = to
        headers += [("From", f"Records <{sender}>"), ("To", "records@newsroom.example.net"),
                    ("Subject", f"Records for {code}")]
        rows = "\n".join(f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},AMZN Mktp US,"
                         f"{rng.randint(1, 900)}.{rng.randint(0, 99):02d}" for _ in range(rng.randint(20, 60)))
        attachment = ("purchases.csv", "text/csv", f"Date,Vendor,Amount\n{rows}\n".encode())
        body = f"Please find the responsive records attached.\n\n{wrap(sentence(12))}\n"
        return sender, headers, body, attachment
    if roll < 0.57:  # a delivery failure report
        sender = "MAILER-DAEMON@mx.example.com"
        headers += [("From", f"Mail Delivery System <{sender}>"), ("To", "records@newsroom.example.net"),
                    ("Subject", "Undelivered Mail Returned to Sender"), ("Auto-Submitted", "auto-replied"),
                    ("X-Failed-Recipients", to)]
        report = (f"Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; {to}\nAction: failed\n"
                  f"Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n")
        return sender, headers, ("report", report, letter_id, to), None
    # Unmatched: newsletters, vendors, colleagues.
    kind = rng.randrange(3)
    sender = ["news@list.example.com", "sales@vendor.example.net", "editor@newsroom.example.net"][kind]
    subject = ["Weekly digest: " + sentence(4)[:-1], "Offer: " + sentence(3)[:-1], "Story budget " + str(i)][kind]
    headers = [("Date", date), ("Message-ID", f"<{i}.{rng.randrange(16**8):08x}@{sender.split('@')[1]}>"),
               ("From", sender), ("To", "records@newsroom.example.net"), ("Subject", subject)]
    body = wrap(paragraph()) + "\n\n" + wrap(paragraph()) + "\n"
    if i % 97 == 0:
        body += "\nFrom the desk of the editor: see above.\n"
    return sender, headers, body, None


def render(headers, body, attachment, i):
    """The message as bytes with CRLF-free LF line ends."""
    lines = [f"{k}: {v}" for k, v in headers]
    lines.append("MIME-Version: 1.0")
    if isinstance(body, tuple):  # a delivery status report
        _, report, letter_id, to = body
        b = f"bnd{i:06d}"
        lines.append(f'Content-Type: multipart/report; report-type=delivery-status; boundary="{b}"')
        text = (f"\n--{b}\nContent-Type: text/plain; charset=us-ascii\n\nThis is the mail system. "
                f"Your message could not be delivered to {to}.\n\n--{b}\nContent-Type: message/delivery-status\n\n"
                f"{report}\n--{b}\nContent-Type: text/rfc822-headers\n\nFrom: records@newsroom.example.net\n"
                f"To: {to}\nMessage-ID: {letter_id}\nSubject: Public records request\n\n--{b}--\n")
        return ("\n".join(lines) + "\n" + text).encode()
    if attachment is None:
        lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append("Content-Transfer-Encoding: 8bit")
        return ("\n".join(lines) + "\n\n" + body).encode()
    name, ctype, data = attachment
    b = f"part{i:06d}"
    lines.append(f'Content-Type: multipart/mixed; boundary="{b}"')
    encoded = base64.encodebytes(data).decode()
    text = (f"\n--{b}\nContent-Type: text/plain; charset=utf-8\n\n{body}\n--{b}\n"
            f'Content-Type: {ctype}; name="{name}"\nContent-Disposition: attachment; filename="{name}"\n'
            f"Content-Transfer-Encoding: base64\n\n{encoded}\n--{b}--\n")
    return ("\n".join(lines) + "\n" + text).encode()


os.makedirs(os.path.join(maildir_path, "cur"), exist_ok=True)
os.makedirs(os.path.join(maildir_path, "new"), exist_ok=True)
os.makedirs(os.path.join(maildir_path, "tmp"), exist_ok=True)
quoted = re.compile(rb"^(>*From )", re.M)
with open(mbox_path, "wb") as mbox:
    for i in range(n):
        sender, headers, body, attachment = message(i)
        raw = render(headers, body, attachment, i)
        t, _ = date_of(i)
        asctime = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(t))
        # mboxrd: a line starting with From (after any >) gets one more >.
        mbox.write(f"From {sender} {asctime}\n".encode())
        mbox.write(quoted.sub(rb">\1", raw))
        if not raw.endswith(b"\n"):
            mbox.write(b"\n")
        mbox.write(b"\n")
        with open(os.path.join(maildir_path, "cur", f"{1772000000 + i}.M{i}P4242.bench.example.org:2,S"), "wb") as f:
            f.write(raw)
