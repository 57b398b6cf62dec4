#!/usr/bin/env python3
"""Gives a simulated world's orders ids of another shape, to check that intel matching does
not rest on the 3-7-7 shape (the contract keeps order ids opaque).

    intel_reshape.py WORLD_DIR OUT_DIR SHAPE [--seed N] [--chatter N]

SHAPE is one of
  digits6  six-digit numbers (`104233`), drawn at random: about half of all six-digit
           numbers are then somebody's order, as in a large shop numbering that way;
  shopify  `#1001`, `#1002`, … in the order they are placed (Shopify's order names);
  ord      `ORD-XXXXX-NNN`, five upper-case letters or digits and three digits.

Every order id is rewritten the same way everywhere: in every event (any 3-7-7 string equal
to an order id placed in the world), in labels.jsonl, and in intel_post texts. A masked id
in a post is resolved to the order it shows (the orders whose digits fit its visible
digits; if several, the one the labels say the post shows), then written in the new shape:
digits6 hides the two middle digits (`10••33`), ord three characters of the middle block
(`ORD-8F•••-991`), with the mask character the post used; shopify writes the number whole
(a short running number is not worth masking, and two visible digits would show nothing).
Ids that fit no order (vouch posts with made-up numbers, look-alikes one digit off) get a
made-up id of the new shape — for digits6 and shopify that is, more often than not, a real
order's id, with the made-up post's amount, date and item: exactly the collision the
matcher must not fall for.

Then --chatter posts (default 1500) are added: customers' and forum chatter whose prices
without a currency, postcodes, ticket numbers, quantities and view counts are numbers equal
to real orders' ids (digits6, shopify), or ORD-like codes one character off a real id
(ord). They show no order: any order an intel_match names from them is a false positive.

Writes OUT_DIR/events.jsonl and OUT_DIR/labels.jsonl (about the size of the world: 1 GB)
and prints counts. Standard library only; about three minutes for a 4.3M-event world.
"""
import datetime
import json
import random
import re
import sys

ID = re.compile(r"(?<![\w-])\d{3}-\d{7}-\d{7}(?![\w-])")
MASKS = "•*Xx#●"
POST_ID = re.compile(
    r"(?<![\w-])([\d•*Xx#●]{3})-([\d•*Xx#●]{7})-([\d•*Xx#●]{7})(?![\w-])"
)
ORDER_PLACED = re.compile(
    r'"type":"order_placed","ts":"([^"]+)","order_id":"([^"]+)"'
)
TS = re.compile(r'"ts":"([^"]+)"')
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
PRODUCTS = [
    "iPhone", "MacBook", "PS5", "AirPods", "Dyson", "sneakers", "LEGO set", "Kindle",
    "face serum", "headphones", "Switch", "camera", "hoodie", "blender", "monitor",
]


def usage():
    print(__doc__, file=sys.stderr)
    sys.exit(2)


def main(argv):
    if len(argv) < 4:
        usage()
    world, out, shape = argv[1], argv[2], argv[3]
    if shape not in ("digits6", "shopify", "ord"):
        usage()
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 1
    chatter_n = int(argv[argv.index("--chatter") + 1]) if "--chatter" in argv else 1500
    r = random.Random(seed)
    events_p, labels_p = f"{world}/events.jsonl", f"{world}/labels.jsonl"

    # Pass 1: the orders, in the order they are placed.
    placed = []  # (old id, ts)
    seen = set()
    with open(events_p, encoding="utf-8") as f:
        for line in f:
            if '"order_placed"' not in line:
                continue
            m = ORDER_PLACED.search(line)
            if m is None:
                o = json.loads(line)
                m_id, m_ts = o["order_id"], o["ts"]
            else:
                m_ts, m_id = m.group(1), m.group(2)
            if m_id not in seen:
                seen.add(m_id)
                placed.append((m_id, m_ts))
    n = len(placed)
    if shape == "digits6":
        if n > 900_000:
            sys.exit(f"{n} orders do not fit in six digits")
        new = [str(x) for x in r.sample(range(100_000, 1_000_000), n)]
    elif shape == "shopify":
        new = [f"#{1001 + i}" for i in range(n)]
    else:
        pool = set()
        new = []
        while len(new) < n:
            x = "ORD-" + "".join(r.choice(ALNUM) for _ in range(5)) + f"-{r.randrange(1000):03d}"
            if x not in pool:
                pool.add(x)
                new.append(x)
    mapping = {old: nw for (old, _), nw in zip(placed, new)}
    by_last = {}
    for old, _ in placed:
        if ID.fullmatch(old):
            by_last.setdefault(old[-7:], []).append(old)

    def made_up():
        if shape == "digits6":
            return str(r.randrange(100_000, 1_000_000))
        if shape == "shopify":
            return f"#{r.randrange(1001, 1001 + n)}"
        return "ORD-" + "".join(r.choice(ALNUM) for _ in range(5)) + f"-{r.randrange(1000):03d}"

    def masked(new_id, ch):
        if shape == "digits6":
            return new_id[:2] + ch * 2 + new_id[4:]
        if shape == "ord":
            return new_id[:6] + ch * 3 + new_id[9:]
        return new_id

    # What the labels say each post shows (to pick among orders fitting a masked id).
    shown_by = {}
    with open(labels_p, encoding="utf-8") as f:
        for line in f:
            if '"intel_mentioned"' in line:
                l = json.loads(line)
                shown_by.setdefault(l.get("group"), set()).add(l["id"])

    stats = {"orders": n, "ids_full": 0, "ids_masked": 0, "ids_made_up": 0, "chatter": 0}

    def rewrite_post_text(text, post_id):
        def sub(m):
            raw = m.group(0)
            mask_ch = next((c for c in raw if c in MASKS), None)
            if mask_ch is None:
                if raw in mapping:
                    stats["ids_full"] += 1
                    return mapping[raw]
                stats["ids_made_up"] += 1
                return made_up()
            digits = raw.replace("-", "")
            fit = [
                o for o in by_last.get(digits[-7:], [])
                if all(p in MASKS or p == d for p, d in zip(digits, o.replace("-", "")))
            ] if all(c.isdigit() for c in digits[-7:]) else []
            if len(fit) > 1:
                fit = [o for o in fit if o in shown_by.get(post_id, ())] or fit[:1]
            ch = "X" if mask_ch in "Xx" else "•"
            if fit:
                stats["ids_masked"] += 1
                return masked(mapping[fit[0]], ch)
            stats["ids_made_up"] += 1
            return masked(made_up(), ch)

        return POST_ID.sub(sub, text)

    # Chatter: where it goes (after the k-th order placed) and which orders it collides with.
    slots = sorted(r.sample(range(n // 10, n), min(chatter_n, n - n // 10)))
    slot_set = {}
    for s in slots:
        slot_set[s] = slot_set.get(s, 0) + 1

    def chatter_text(k, ts):
        # Numbers of orders placed before this point; a date in the weeks before the post.
        post_day = datetime.date.fromisoformat(ts[:10])
        d = post_day - datetime.timedelta(days=r.randrange(0, 21))
        when = d.strftime("%b ") + str(d.day)
        picks = [new[r.randrange(0, k)] for _ in range(3)]
        prod = r.choice(PRODUCTS)
        if shape == "ord":
            def off(x):
                i = r.choice([4, 5, 6, 7, 8, 10, 11, 12])
                c = r.choice([a for a in ALNUM if a != x[i]])
                return x[:i] + c + x[i + 1:]
            a, b = off(picks[0]), off(picks[1])
            texts = [
                f"promo code {a} did not work on my {prod}, support says {b} is the right one",
                f"ref {a} — is this legit? got it by SMS about a {prod}",
                f"voucher {a} and {b} both expired, anyone got a new one",
            ]
            return r.choice(texts)
        nums = [p.lstrip("#") for p in picks]
        texts = [
            f"Parcel stuck at the depot, PIN {nums[0]}, since {when}. {prod} inside",
            f"{nums[0]} views and {nums[1]} upvotes on my {prod} unboxing lol",
            f"ticket #{nums[0]} with support still open after {r.randrange(2, 20)} days, {prod} never came",
            f"ordered {nums[2]} {prod} cases for the shop, invoice {nums[0]}",
            f"pickup code {nums[0]}, locker {nums[1]}, for a {prod}",
            f"paid {nums[0]} for my {prod} on {when}, worth it?",
            f"my {prod} has {nums[1]} hours on it and still works",
        ]
        return r.choice(texts)

    # Pass 2.
    k = 0
    chatter_seq = 0
    with open(events_p, encoding="utf-8") as f, open(f"{out}/events.jsonl", "w", encoding="utf-8") as w:
        for line in f:
            if '"intel_post"' in line:
                o = json.loads(line)
                o["text"] = rewrite_post_text(o["text"], o.get("post_id"))
                w.write(json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n")
                continue
            w.write(ID.sub(lambda m: mapping.get(m.group(0), m.group(0)), line))
            if '"order_placed"' in line:
                k += 1
                for _ in range(slot_set.get(k, 0)):
                    ts = TS.search(line).group(1)
                    chatter_seq += 1
                    post = {
                        "event_id": f"reshape-chatter-{chatter_seq}",
                        "type": "intel_post",
                        "ts": ts,
                        "post_id": f"chatter-{chatter_seq}",
                        "source": r.choice(["reddit", "forum", "discord"]),
                        "text": chatter_text(k, ts),
                        "channel": r.choice(["r/AmazonPrime", "r/shopping", "#general", "Deals forum"]),
                    }
                    w.write(json.dumps(post, ensure_ascii=False, separators=(",", ":")) + "\n")
    stats["chatter"] = chatter_seq
    with open(labels_p, encoding="utf-8") as f, open(f"{out}/labels.jsonl", "w", encoding="utf-8") as w:
        for line in f:
            w.write(ID.sub(lambda m: mapping.get(m.group(0), m.group(0)), line))
    print(json.dumps(stats))


if __name__ == "__main__":
    main(sys.argv)
