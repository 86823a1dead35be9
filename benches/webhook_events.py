#!/usr/bin/env python3
"""Pre-signed Stripe webhook deliveries for benches/run.sh, one per line: `signature<TAB>body`.

Bodies are Stripe event objects built from the public fixtures in tests/fixtures/stripe/, signed
the way Stripe signs them (`t=<unix>,v1=<HMAC-SHA256 of "t.body" keyed by the whole whsec_
secret>`), so the server does its real verification work on every request.

  one WORKSPACE_ID COUNT   COUNT distinct `customer.subscription.deleted` events, each ending a
                           different subscription of one workspace (its history grows by COUNT).
  mix FIRST_ID WORKSPACES PER_WORKSPACE
                           `customer.subscription.updated` renewals for workspaces FIRST_ID ..
                           FIRST_ID+WORKSPACES-1, PER_WORKSPACE each, interleaved across
                           workspaces; each workspace's periods move forward one month per event.
  sql-mix FIRST_NAME WORKSPACES
                           SQL that creates the WORKSPACES paying workspaces the mix talks about.

Environment: WEBHOOK_SECRET (the endpoint secret), BENCH_RUN (keeps event ids unique per run).
"""

import hashlib
import hmac
import json
import os
import sys
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "stripe"
DAY = 86_400
MONTH = 30 * DAY


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


SUBSCRIPTION = fixture("subscription.json")
EVENT = fixture("event.json")


def subscription(sub_id, customer, workspace_id, status, start, end):
    sub = json.loads(json.dumps(SUBSCRIPTION))
    sub.update(
        id=sub_id,
        customer=customer,
        status=status,
        cancel_at_period_end=False,
        cancel_at=None,
        canceled_at=end if status == "canceled" else None,
        ended_at=end if status == "canceled" else None,
        trial_end=None,
        trial_start=None,
        pending_update=None,
        metadata={"workspace_id": str(workspace_id)},
    )
    item = sub["items"]["data"][0]
    item["price"]["id"] = "price_pro_monthly"
    item["plan"]["id"] = "price_pro_monthly"
    item["subscription"] = sub_id
    item["current_period_start"] = start
    item["current_period_end"] = end
    return sub


def event(event_id, kind, created, obj):
    ev = json.loads(json.dumps(EVENT))
    ev.update(id=event_id, type=kind, created=created, data={"object": obj}, livemode=False)
    return json.dumps(ev, separators=(",", ":"))


def signed(secret, body, timestamp):
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}\t{body}"


def main(argv):
    secret = os.environ.get("WEBHOOK_SECRET", "")
    run = os.environ.get("BENCH_RUN", str(int(time.time())))
    now = int(time.time())
    out = sys.stdout
    if argv[:1] == ["one"]:
        ws, count = int(argv[1]), int(argv[2])
        for n in range(count):
            sub = subscription(f"sub_{run}_old{n}", f"cus_bench_{ws}", ws, "canceled", now - MONTH - n, now - n)
            out.write(signed(secret, event(f"evt_{run}_del{n}", "customer.subscription.deleted", now - n, sub), now) + "\n")
    elif argv[:1] == ["mix"]:
        first, workspaces, per = int(argv[1]), int(argv[2]), int(argv[3])
        for k in range(per):
            for ws in range(first, first + workspaces):
                start = now + k * MONTH
                sub = subscription(f"sub_bench_{ws}", f"cus_bench_{ws}", ws, "active", start, start + MONTH)
                body = event(f"evt_{run}_{ws}_{k}", "customer.subscription.updated", now - per + k, sub)
                out.write(signed(secret, body, now) + "\n")
    elif argv[:1] == ["sql-mix"]:
        name, workspaces = argv[1], int(argv[2])
        for n in range(workspaces):
            out.write(
                "INSERT INTO workspaces (name, plan_id, billing_provider, provider_customer_id, "
                "subscription_status, billing_interval, current_period_end, cancel_at_period_end, "
                "had_trial, created_at, updated_at) VALUES "
                f"('{name}-{n}', (SELECT id FROM plans WHERE code = 'pro'), 'stripe', NULL, 'active', "
                "'month', CURRENT_TIMESTAMP, FALSE, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);\n"
            )
        # Customer and subscription ids follow the row ids the database gave.
        out.write(
            "UPDATE workspaces SET provider_customer_id = 'cus_bench_' || id, "
            f"provider_subscription_id = 'sub_bench_' || id WHERE name LIKE '{name}-%';\n"
        )
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
