#!/usr/bin/env python3
"""HTTP helpers of scripts/bench-sync.sh (standard library only, one keep-alive connection).

  sync_api.py wait BASE --since EPOCH [--timeout SECS] [--interval SECS]
      Polls GET /api/hris/v1/sync-status until every model the account syncs is DONE, with
      last_sync_start at or after EPOCH (so a resync waits for a sync that started after it was
      requested, not for the previous one's statuses) and last_sync_result DONE; DISABLED models
      (left out by the account's scopes) are set aside. Prints one JSON object on stdout:
      {"done_at": epoch seconds of the poll that saw it, "polls": n, "models": [{"model_id",
      "seconds", "finished_at"}], "disabled": [model ids]} (seconds = last_sync_finished -
      last_sync_start; finished_at = last_sync_finished in epoch seconds).
      Exit 2 when a model of this sync is FAILED (the statuses go to stderr), 3 at the timeout.

  sync_api.py walk BASE [--page-size 100] [--deep-page 1000]
      Follows `next` from the first page of GET /api/hris/v1/employees to the last. Prints
      {"pages", "count", "deep_page", "deep_cursor", "seconds"}: the number of pages and employees
      seen, and the cursor of page `deep_page` (the last page when there are fewer; null when
      that is the first page).

Both read the API key from JOINERY_BENCH_API_KEY and the account token from
JOINERY_BENCH_ACCOUNT_TOKEN. Progress goes to stderr.
"""

import argparse
import http.client
import json
import os
import re
import sys
import time
import urllib.parse
from datetime import datetime, timezone


class Api:
    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.conn = None
        self.headers = {
            "Authorization": "Bearer " + os.environ["JOINERY_BENCH_API_KEY"],
            "X-Account-Token": os.environ["JOINERY_BENCH_ACCOUNT_TOKEN"],
            "Accept": "application/json",
        }

    def get(self, path):
        for attempt in range(3):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            if response.status != 200:
                sys.exit(f"GET {path}: HTTP {response.status}: {body[:500]!r}")
            return json.loads(body)


def epoch(text):
    """RFC 3339 (any number of fraction digits, Z or an offset) → seconds since the epoch."""
    if text is None:
        return None
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if not m:
        raise ValueError(f"not an RFC 3339 date-time: {text!r}")
    offset = "+00:00" if m[3] == "Z" else m[3]
    whole = datetime.fromisoformat(m[1] + offset).astimezone(timezone.utc).timestamp()
    return whole + (float("0." + m[2]) if m[2] else 0.0)


def statuses(api):
    results, cursor = [], None
    while True:
        query = {"page_size": "100"}
        if cursor:
            query["cursor"] = cursor
        page = api.get("/api/hris/v1/sync-status?" + urllib.parse.urlencode(query))
        results.extend(page["results"])
        cursor = page.get("next")
        if not cursor:
            return results


def wait(args):
    api = Api(args.base)
    deadline = time.monotonic() + args.timeout
    polls, last_progress, last_line = 0, 0.0, ""
    while True:
        listed = statuses(api)
        polls += 1
        now = time.time()
        # Models the account's scopes leave out are DISABLED and never synced.
        rows = [r for r in listed if r["status"] != "DISABLED"]
        if not rows:
            sys.exit("sync-status lists no models, or every model is DISABLED")
        fresh = [r for r in rows if (epoch(r.get("last_sync_start")) or 0) >= args.since]
        failed = [r for r in fresh if r["status"] == "FAILED" or r.get("last_sync_result") == "FAILED"]
        if failed:
            print(json.dumps(rows, indent=1), file=sys.stderr)
            print("models failed: " + ", ".join(r["model_id"] for r in failed), file=sys.stderr)
            sys.exit(2)
        done = [
            r
            for r in fresh
            if r["status"] == "DONE"
            and r.get("last_sync_result") == "DONE"
            and (epoch(r.get("last_sync_finished")) or 0) >= epoch(r["last_sync_start"])
        ]
        if len(done) == len(rows):
            models = [
                {
                    "model_id": r["model_id"],
                    "seconds": round(epoch(r["last_sync_finished"]) - epoch(r["last_sync_start"]), 3),
                    "finished_at": epoch(r["last_sync_finished"]),
                }
                for r in rows
            ]
            disabled = [r["model_id"] for r in listed if r["status"] == "DISABLED"]
            print(json.dumps({"done_at": now, "polls": polls, "models": models, "disabled": disabled}))
            return
        line = " ".join(f"{r['model_id'].split('.')[-1]}={r['status'] if r in fresh else 'waiting'}" for r in rows)
        if now - last_progress >= 30 or (line != last_line and now - last_progress >= 2):
            print(f"[bench]   {now - args.since:7.1f} s: {line}", file=sys.stderr)
            last_progress, last_line = now, line
        if time.monotonic() >= deadline:
            print(json.dumps(rows, indent=1), file=sys.stderr)
            print(f"the sync did not finish within {args.timeout} s", file=sys.stderr)
            sys.exit(3)
        time.sleep(args.interval)


def walk(args):
    api = Api(args.base)
    started = time.monotonic()
    pages, count, cursor, deep_cursor = 0, 0, None, None
    while True:
        query = {"page_size": str(args.page_size)}
        if cursor:
            query["cursor"] = cursor
        page = api.get("/api/hris/v1/employees?" + urllib.parse.urlencode(query))
        pages += 1
        count += len(page["results"])
        if pages <= args.deep_page:
            deep_cursor = cursor
        if pages % 200 == 0:
            print(f"[bench]   walked {pages} pages, {count} employees", file=sys.stderr)
        cursor = page.get("next")
        if not cursor:
            break
    print(
        json.dumps(
            {
                "pages": pages,
                "count": count,
                "deep_page": min(pages, args.deep_page),
                "deep_cursor": deep_cursor,
                "seconds": round(time.monotonic() - started, 3),
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("wait")
    w.add_argument("base")
    w.add_argument("--since", type=float, required=True)
    w.add_argument("--timeout", type=float, default=1800)
    w.add_argument("--interval", type=float, default=0.25)
    k = sub.add_parser("walk")
    k.add_argument("base")
    k.add_argument("--page-size", type=int, default=100)
    k.add_argument("--deep-page", type=int, default=1000)
    args = parser.parse_args()
    {"wait": wait, "walk": walk}[args.command](args)


if __name__ == "__main__":
    main()
