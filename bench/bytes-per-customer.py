#!/usr/bin/env python3
"""Bytes per customer in D1, measured (not a test).

Seeds COUNT customers (default 10 000) of two profiles -- `small` (email and password) and
`typical` (names, key, customer number, 5 addresses, custom fields, a group) -- built by the
domain core (examples/seed_customers.rs), each with the messages of its creation and two
updates, laid out as with customers over shards (store::shards): the customer row and its
messages in a shard, the stub row and email claim in the catalog. It applies the migrations
to plain SQLite files (what local D1 is), and reads the bytes of every table and index from
SQLite's `dbstat`, minus the empty database. Prints the figures and how many databases
10 000 000 customers need at D1's 10 GB per database.

    python3 bench/bytes-per-customer.py [COUNT]
"""
import glob
import os
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
UPDATES = 2
GB = 10 * 1000**3
TARGET = 10_000_000


def migrated(path):
    db = sqlite3.connect(path)
    for migration in sorted(glob.glob(os.path.join(ROOT, "migrations", "*.sql"))):
        with open(migration, encoding="utf-8") as f:
            db.executescript(f.read())
    db.commit()
    return db


def sizes(db):
    db.execute("VACUUM")
    rows = db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    return dict(rows)


def group(name, db):
    """Which part of a customer a table or index belongs to."""
    kind = db.execute("SELECT tbl_name FROM sqlite_schema WHERE name = ?", (name,)).fetchone()
    table = kind[0] if kind else name
    if table == "messages":
        return "messages"
    if table in ("customers", "customer_emails"):
        return "customer"
    return None


def measure(profile):
    with tempfile.TemporaryDirectory() as tmp:
        catalog = migrated(os.path.join(tmp, "catalog.sqlite"))
        shard = migrated(os.path.join(tmp, "shard.sqlite"))
        empty = {"DB": sizes(catalog), "S1": sizes(shard)}
        env = {**os.environ, "SEED_PROFILE": profile, "SEED_SHARDS": "S1"}
        seeder = os.path.join(ROOT, "target", "release", "examples", "seed_customers")
        out = subprocess.run([seeder, "0", str(COUNT), str(UPDATES)], env=env, check=True,
                             capture_output=True, text=True).stdout
        dbs = {"DB": catalog, "S1": shard}
        for line in out.splitlines():
            database, sql = line.split("\t", 1)
            dbs[database].execute(sql)
        for db in dbs.values():
            db.commit()
        result = {}
        for database, db in dbs.items():
            for name, size in sizes(db).items():
                part = group(name, db)
                if part:
                    grown = size - empty[database].get(name, 0)
                    result[(database, part)] = result.get((database, part), 0) + grown
        return {k: v / COUNT for k, v in result.items()}


def main():
    subprocess.run(["cargo", "build", "--quiet", "--release", "--example", "seed_customers"],
                   cwd=ROOT, check=True)
    print(f"{COUNT} customers per profile, {UPDATES + 1} messages each (creation + {UPDATES} updates)\n")
    print("| profile | shard: customer row + indexes | shard: messages + indexes | catalog: stub + email claim | shards for 10 000 000: full / at 80 % | catalog for 10 000 000 |")
    print("|---|---:|---:|---:|---:|---:|")
    for profile in ("small", "typical"):
        m = measure(profile)
        row = m.get(("S1", "customer"), 0)
        messages = m.get(("S1", "messages"), 0)
        stub = m.get(("DB", "customer"), 0)
        full = -(-TARGET * (row + messages) // GB)
        planned = -(-TARGET * (row + messages) // (0.8 * GB))
        catalog_gb = TARGET * stub / 1000**3
        print(f"| {profile} | {row:,.0f} B | {messages:,.0f} B | {stub:,.0f} B | {full:.0f} / {planned:.0f} | {catalog_gb:.1f} GB |")


if __name__ == "__main__":
    main()
