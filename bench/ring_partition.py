#!/usr/bin/env python3
"""Ring pairwise precision/recall taking each account's *last* fraud_ring alert only.

evaluate.py unions every emission of an alert id; an early alert whose ring later merged
into another stays in alerts.jsonl, so some pairs count twice. This gives the partition
view an investigator sees at the end. Usage: ring_partition.py WORLD_DIR OUT_DIR
"""
import json,sys,collections
W,O=sys.argv[1],sys.argv[2]
lab={}
for l in open(W+'/labels.jsonl'):
    l=json.loads(l); lab[(l['entity'],l['id'])]=l
last={}
ids=set()
for a in open(O+'/alerts.jsonl'):
    a=json.loads(a)
    if a['kind']!='fraud_ring': continue
    ids.add(a['alert_id'])
    for e in a['entities']:
        if e['type']=='account': last[e['id']]=a['alert_id']   # file is in ts order
cl=collections.defaultdict(set)
for acc,aid in last.items(): cl[aid].add(acc)
truth={i:l['group'] for (e,i),l in lab.items() if e=='account' and l['label']=='fraud' and l.get('kind')=='refund_service'}
tp=pp=0
for m in cl.values():
    k=len(m); pp+=k*(k-1)//2
    g=collections.Counter(truth.get(x) for x in m if truth.get(x))
    tp+=sum(c*(c-1)//2 for c in g.values())
sz=collections.Counter(truth.values()); tpairs=sum(c*(c-1)//2 for c in sz.values())
p=tp/pp; r=tp/tpairs
print(f"alert ids {len(ids)} final clusters {len(cl)} gangs {len(sz)}; partition pairwise P {p:.3f} R {r:.3f} F1 {2*p*r/(p+r):.3f}; largest {max(len(m) for m in cl.values())}")
