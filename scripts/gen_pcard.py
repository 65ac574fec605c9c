#!/usr/bin/env python3
"""Writes a synthetic p-card export of N rows (default 1,000,000) for the ingest benchmark."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
out = sys.argv[2] if len(sys.argv) > 2 else "pcard-1m.csv"
vendors = ["Amazon.com", "AMZN Mktp US", "Amazon Marketplace", "AmazonPrime Membership", "Staples", "Office Depot"]
rng = random.Random(2016)
with open(out, "w", newline="") as f:
    f.write("Cardholder,Transaction Date,Merchant,Description,Amount\n")
    for i in range(n):
        cents = rng.randint(106, 232200)
        f.write(f"Card {i % 500},{rng.randint(1, 12)}/{rng.randint(1, 28)}/2016,{rng.choice(vendors)},Supplies,{cents // 100}.{cents % 100:02d}\n")
