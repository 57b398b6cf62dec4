#!/usr/bin/env python3
"""Distinct `refund_requested` events for bench/load.sh, one JSON object per line.

    python3 bench/load_refunds.py WORLD/events.jsonl N OUT.jsonl [--seed S] [--tag T]

Each line is a new refund (unique `event_id` and `refund_id`) of a real order of the world
(its `order_id`, `account_id` and currency, an amount up to the order's), with event time
after the world's last event and increasing by a millisecond per line, so the service
decides each one as a new refund and never takes the duplicate path. Deterministic for a
seed.
"""

import json
import random
import sys

REASONS = ["damaged", "defective", "wrong_item", "not_as_described", "missing_parts",
           "not_received", "no_longer_needed", "other"]
CHANNELS = ["web", "app", "chat", "phone", "email"]


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    events, n, out = argv[1], int(argv[2]), argv[3]
    seed, tag = 1, "load"
    rest = argv[4:]
    while rest:
        k, v, rest = rest[0], rest[1], rest[2:]
        if k == "--seed":
            seed = int(v)
        elif k == "--tag":
            tag = v
        else:
            sys.exit(f"unknown argument {k}")
    orders = []
    last_ts = None
    with open(events, "rb") as f:
        for raw in f:
            if b'"order_placed"' in raw:
                e = json.loads(raw)
                if e.get("type") == "order_placed":
                    orders.append((e["order_id"], e["account_id"], e["amount_minor"], e["currency"]))
            # Lines are roughly in time order: the largest ts seen is near the end.
            i = raw.find(b'"ts":"')
            if i >= 0:
                ts = raw[i + 6:raw.index(b'"', i + 6)].decode()
                if last_ts is None or ts > last_ts:
                    last_ts = ts
    if not orders or last_ts is None:
        sys.exit(f"{events}: no order_placed events to refund")
    from datetime import datetime, timedelta, timezone
    t0 = datetime.fromisoformat(last_ts.replace("Z", "+00:00")).astimezone(timezone.utc) + timedelta(hours=1)
    rng = random.Random(seed)
    with open(out, "w") as f:
        for i in range(n):
            order_id, account_id, amount, currency = orders[rng.randrange(len(orders))]
            ts = (t0 + timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            f.write(json.dumps({
                "event_id": f"{tag}-ev-{i:09d}",
                "type": "refund_requested",
                "ts": ts,
                "refund_id": f"{tag}-ref-{i:09d}",
                "order_id": order_id,
                "account_id": account_id,
                "amount_minor": max(0, int(amount * rng.choice([1.0, 1.0, 0.5, 0.25]))),
                "currency": currency,
                "reason": rng.choice(REASONS),
                "channel": rng.choice(CHANNELS),
            }, separators=(",", ":")) + "\n")
    print(f"{n} refunds of {len(orders)} orders from {events} -> {out}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
