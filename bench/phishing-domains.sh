#!/usr/bin/env bash
# Lookalike-domain benchmark for crates/scam (issue 8):
#   - every domain dnstwist (PyPI) generates for the protected domains must be flagged;
#   - popular real domains (npm `top-sites`, the Moz top 500) must not be.
# Installs dnstwist with pip and top-sites with npm (--ignore-scripts) into a scratch
# directory; dnstwist's `--format list` makes no network request.
# Usage: bench/phishing-domains.sh [WORKDIR]   (prints the rates; exit 0)
set -euo pipefail
cd "$(dirname "$0")/.."
W="${1:-$(mktemp -d)}"
mkdir -p "$W"
command -v dnstwist >/dev/null || pip install --quiet dnstwist
[ -f "$W/node_modules/top-sites/top-sites.json" ] || (cd "$W" && npm install --silent --ignore-scripts top-sites >/dev/null)
cargo build --release --quiet -p clawback --example lookalikes
L="${CARGO_TARGET_DIR:-target}/release/examples/lookalikes"
PROTECTED="amazon.com amazon.co.uk amazon.fr amazon.de amazon.ca amzn.to a.co"
for d in $PROTECTED; do dnstwist --format list "$d" > "$W/tw-$d.txt"; done
rate() { awk -F'\t' -v name="$1" '$2!="official"{n++; if ($2=="flagged") f++} END {printf "%-28s %5d domains  %5d flagged  %.2f%%\n", name, n, f, 100*f/n}'; }
for d in $PROTECTED; do "$L" < "$W/tw-$d.txt" | rate "dnstwist $d"; done
cat "$W"/tw-*.txt | sort -u | "$L" | rate "dnstwist, all"
cat "$W"/tw-*.txt | sort -u | grep -v -E '^[^.]{1,2}\.co$' | "$L" | rate "dnstwist, all but a.co's"
# Why a.co's ASCII variants stay unflagged: one- and two-letter .co domains are real sites.
echo "one- and two-letter .co domains in the Moz top 500: $(python3 -c "import json,sys; [print(x['rootDomain']) for x in json.load(open(sys.argv[1]))]" "$W/node_modules/top-sites/top-sites.json" | grep -E '^[a-z0-9]{1,2}\.co$' | tr '\n' ' ')"
python3 -c "import json,sys; [print(x['rootDomain']) for x in json.load(open(sys.argv[1]))]" \
  "$W/node_modules/top-sites/top-sites.json" | "$L" > "$W/top.out"
rate "top-sites (Moz top 500)" < "$W/top.out"
echo "flagged popular domains:"; grep -P '\tflagged\t' "$W/top.out" || true
