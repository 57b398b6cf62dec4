#!/usr/bin/env python3
"""Our gradient-boosted trees against LightGBM, on the same exported feature matrix, in one run.

    python3 bench/lightgbm_compare.py [--world DIR] [--clawback PATH] [--threads N]

1. Simulates a labelled world (unless --world DIR holds events.jsonl and labels.jsonl).
2. `clawback train --export features.csv`: our trainer on the earliest 80% of labelled
   refund requests, validated on the latest 20%; the CSV carries that split.
3. LightGBM (pip-installed if missing) on exactly the same rows and split, with comparable
   settings (leaves, learning rate, trees with early stopping, same thread count).
4. Prints both AUCs, average precisions and training times, and their ratio.
"""
import argparse, json, os, subprocess, sys, tempfile, time


def ensure_lightgbm():
    try:
        import lightgbm  # noqa: F401
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "lightgbm", "numpy", "scikit-learn"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", help="directory with events.jsonl and labels.jsonl")
    ap.add_argument("--clawback", default=os.environ.get("CLAWBACK", "clawback"))
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--seed", type=int, default=11, help="world seed when simulating")
    ap.add_argument("--customers", type=int, default=20000)
    args = ap.parse_args()
    ensure_lightgbm()
    import numpy as np
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score, average_precision_score

    work = tempfile.mkdtemp(prefix="clawback-lgb-")
    world = args.world
    if not world:
        world = os.path.join(work, "world")
        subprocess.check_call([args.clawback, "simulate", "--seed", str(args.seed),
                               "--customers", str(args.customers), "--out", world])
    csv = os.path.join(work, "features.csv")
    out = subprocess.check_output([args.clawback, "train", "--events", os.path.join(world, "events.jsonl"),
                                   "--labels", os.path.join(world, "labels.jsonl"),
                                   "--out", os.path.join(work, "refund.model"), "--export", csv,
                                   "--threads", str(args.threads)])
    ours = json.loads(out)

    import csv as csvmod
    with open(csv) as f:
        r = csvmod.reader(f)
        header = next(r)
        rows = list(r)
    feat = header[4:]
    split = np.array([row[2] for row in rows])
    y = np.array([int(row[3]) for row in rows])
    X = np.array([[float(v) if v != "" else np.nan for v in row[4:]] for row in rows], dtype=np.float32)
    tr, va = split == "train", split == "valid"
    model_params = json.load(open(os.path.join(work, "refund.model")))["models"]["refund"]["params"]
    params = dict(objective="binary", learning_rate=model_params["learning_rate"],
                  num_leaves=model_params["max_leaves"], min_sum_hessian_in_leaf=model_params["min_child_weight"],
                  lambda_l2=model_params["lambda"], max_bin=model_params["max_bins"],
                  num_threads=args.threads, verbose=-1, seed=0, deterministic=True)
    t0 = time.perf_counter()
    dtrain = lgb.Dataset(X[tr], y[tr], feature_name=feat)
    dvalid = lgb.Dataset(X[va], y[va], reference=dtrain)
    booster = lgb.train(params, dtrain, num_boost_round=model_params["max_trees"], valid_sets=[dvalid],
                        callbacks=[lgb.early_stopping(model_params["early_stopping_rounds"], verbose=False)])
    lgb_seconds = time.perf_counter() - t0
    p = booster.predict(X[va], num_iteration=booster.best_iteration)
    lgb_auc = roc_auc_score(y[va], p)
    lgb_ap = average_precision_score(y[va], p)
    result = {
        "rows": {"train": int(tr.sum()), "valid": int(va.sum()), "features": len(feat)},
        "clawback": {"auc": round(ours["auc"], 4), "average_precision": round(ours["average_precision"], 4),
                     "train_seconds": round(ours["train_seconds"], 2), "trees": ours["trees"]},
        "lightgbm": {"version": lgb.__version__, "auc": round(lgb_auc, 4), "average_precision": round(lgb_ap, 4),
                     "train_seconds": round(lgb_seconds, 2), "trees": booster.best_iteration},
        "auc_difference": round(ours["auc"] - lgb_auc, 4),
        "time_ratio_clawback_over_lightgbm": round(ours["train_seconds"] / lgb_seconds, 2),
        "threads": args.threads,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
