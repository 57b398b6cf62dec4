"""LightGBM reference on the same matrices: `gbdt-compare --dump DIR` first.
Usage: python3 lightgbm_ref.py DIR [threads]"""
import sys, time
import numpy as np, lightgbm as lgb
d = sys.argv[1]; threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
nf = 60
X = np.fromfile(f"{d}/train_x.f32", dtype="<f4").reshape(-1, nf)
y = np.fromfile(f"{d}/train_y.u8", dtype=np.uint8)
VX = np.fromfile(f"{d}/valid_x.f32", dtype="<f4").reshape(-1, nf)
VY = np.fromfile(f"{d}/valid_y.u8", dtype=np.uint8)
params = dict(objective="binary", learning_rate=0.1, num_leaves=31, max_bin=255,
              min_sum_hessian_in_leaf=1e-3, min_data_in_leaf=20, lambda_l2=1.0,
              num_threads=threads, verbose=-1, seed=0)
t = time.time()
ds = lgb.Dataset(X, y); vs = lgb.Dataset(VX, VY, reference=ds)
m = lgb.train(params, ds, num_boost_round=400, valid_sets=[vs],
              callbacks=[lgb.early_stopping(30, verbose=False)])
secs = time.time() - t
from sklearn.metrics import roc_auc_score
p = m.predict(VX, num_iteration=m.best_iteration)
print(f"lightgbm: {secs:.1f}s, {m.best_iteration} trees, valid AUC {roc_auc_score(VY, p):.4f}")
