"""an.py — table.md from run.sh's CSVs: per point, the path a user gets before and after (the
team where rnnbptt_team_used runs it, else no team) and its best time over the rounds; the
no-team column (a path the change did not touch) shows the noise."""
import csv, sys, statistics as st
def load(f):
    d={}
    for r in csv.DictReader(open(f)):
        k=(r['cell'],int(r['T']),int(r['B']),int(r['I']),int(r['H']))
        d.setdefault(k,{})[r['impl']]=(float(r['total_ms']),float(r['total_best_ms']))
    return d
R=[1,2] if len(sys.argv)<2 else [int(x) for x in sys.argv[1].split(',')]
b=[load(f'r{r}-before.csv') for r in R]; a=[load(f'r{r}-after.csv') for r in R]
print("| cell | T/B/I/H | before: path | before ms (best) | after: path | after ms (best) | before/after | no team, before/after |")
print("|---|---|---|--:|---|--:|--:|--:|")
rat=[]
for k in sorted(b[0]):
    def best(ds):
        # the time a user gets: the team when it runs, else no team
        path='team' if 'rnnbptt-team' in ds[0][k] else 'no team'
        imp='rnnbptt-team' if path=='team' else 'rnnbptt'
        return path, min(d[k][imp][1] for d in ds), st.median(d[k][imp][0] for d in ds)
    pb,tb,mb=best(b); pa,ta,ma=best(a)
    nb=min(d[k]['rnnbptt'][1] for d in b); na=min(d[k]['rnnbptt'][1] for d in a)
    rat.append(tb/ta)
    print(f"| {k[0]} | {k[1]}/{k[2]}/{k[3]}/{k[4]} | {pb} | {tb:.3g} | {pa} | {ta:.3g} | {tb/ta:.2f} | {nb/na:.2f} |")
