"""Wall time and peak memory of computing every paper configuration's FLOPs, per convention.

Targets (issue 2): `paper` and `matmul` for all configurations together < 1 s; `measured`
for all (large-v3 included) < 60 s and < 2 GB peak RSS. Each convention runs in a fresh
subprocess so its peak RSS is its own (imports included, reported separately).

    python benchmarks/flops_bench.py
"""
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from audioscale.accounting import flops
import_s = time.perf_counter() - t0
rss_after_import_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0 = time.perf_counter()
df = flops.paper_config_table(sys.argv[1])
wall = time.perf_counter() - t0
print(json.dumps(dict(convention=sys.argv[1], configs=len(df), wall_s=wall, import_s=import_s,
                      rss_after_import_mb=rss_after_import_mb,
                      peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""
TARGETS = {"paper": (1.0, None), "matmul": (1.0, None), "measured": (60.0, 2048.0)}


def main() -> int:
    import torch
    print(f"torch threads: {torch.get_num_threads()} (timings on a shared machine are noisy)")
    print(f"{'convention':<10} {'configs':>7} {'wall_s':>8} {'target_s':>8} {'peak_rss_mb':>11} "
          f"{'target_mb':>9} {'import_s':>8}  verdict")
    ok = True
    for conv, (t_s, t_mb) in TARGETS.items():
        out = subprocess.run([sys.executable, "-c", CHILD, conv], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        good = r["wall_s"] < t_s and (t_mb is None or r["peak_rss_mb"] < t_mb)
        ok &= good
        print(f"{conv:<10} {r['configs']:>7} {r['wall_s']:>8.3f} {t_s:>8.1f} {r['peak_rss_mb']:>11.0f} "
              f"{(t_mb or float('nan')):>9.0f} {r['import_s']:>8.2f}  {'meets target' if good else 'MISSES target'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
