#!/usr/bin/env python3
"""Compare two sets of benchmark runs made alternately (A, B, A, B, ...).

    python3 tests/bench/compare.py --a on1.json on2.json --b off1.json off2.json \\
        [--names cache-on cache-off]

Each file is a run.py result (results/*.json). Per scenario present in both:
the median over the runs of each set of req/s as a ratio to the same run's
baseline ("x baseline"), of the total and the per-part CPU per request
(workers, mariadbd, server, wrk), and B's median ratio over A's. Runs are
compared by their ratios, not their req/s: on a shared machine the load of
others changes between runs, the ratio to the baseline measured in the same
minutes much less (tests/bench/README.md).
"""

import argparse
import json
import statistics


def load(paths):
    return [json.load(open(p))["results"] for p in paths]


def medians(runs, name):
    """(x baseline, CPU us/req total, {part: us}) medians over runs, or None."""
    have = [r[name] for r in runs if name in r and "ratio" in r[name]]
    if len(have) != len(runs):
        return None
    parts = {}
    for part in ("workers", "mariadbd", "server", "wrk"):
        vals = [d["cpu_us_per_request"].get(part) for d in have]
        parts[part] = statistics.median(v for v in vals if v is not None) if all(
            v is not None for v in vals) else None
    return (statistics.median(d["ratio"] for d in have),
            statistics.median(d["cpu_us_per_request_total"] for d in have), parts,
            [round(d["ratio"], 3) for d in have])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", nargs="+", required=True, help="result files of set A")
    ap.add_argument("--b", nargs="+", required=True, help="result files of set B")
    ap.add_argument("--names", nargs=2, default=("A", "B"), help="labels of the two sets")
    args = ap.parse_args()
    a, b = load(args.a), load(args.b)
    na, nb = args.names
    print("| scenario | x baseline %s (runs) | x baseline %s (runs) | %s / %s | "
          "CPU us/req %s: total (workers, mariadbd) | CPU us/req %s: total (workers, mariadbd) |"
          % (na, nb, nb, na, na, nb))
    print("|---|---|---|---|---|---|")
    for name in a[0]:
        ma, mb = medians(a, name), medians(b, name)
        if ma is None or mb is None:
            continue

        def cpu(m):
            return "%.0f (%s, %s)" % (m[1], *("-" if m[2][p] is None else "%.1f" % m[2][p]
                                              for p in ("workers", "mariadbd")))
        print("| %s | %.3f %s | %.3f %s | %.3f | %s | %s |"
              % (name, ma[0], ma[3], mb[0], mb[3], mb[0] / ma[0] if ma[0] else 0,
                 cpu(ma), cpu(mb)))


if __name__ == "__main__":
    main()
