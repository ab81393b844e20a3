"""Where an analysis' Newton steps go, from its FEA_NEWTON_DEBUG=1 FEA_CONTACT_DEBUG=1 log
(issue 18): per increment, per multiplier pass, the Newton steps, the residual the pass starts
from (after the last multiplier update), how much the number of open contact points and
of taut ligament fibres changed within the pass (summed over its steps: net changes, so a lower
bound of the points that flipped), the violation
the pass ended with, and the refactorisations.

    FEA_NEWTON_DEBUG=1 FEA_CONTACT_DEBUG=1 python -u bench/bench_column.py ... > run.log
    python bench/newton_trace.py run.log

An increment starts at "al 1 newton 0" (a cut-back's retry counts as one of its own); a pass
that ends at its first evaluation shows as 0 steps; a step taken from an earlier load case
prints no line.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

STEP = re.compile(r"^\s+al (\d+) newton (\d+) res (\S+) its (\d+) lin \S+ (.*)$")
END = re.compile(r"^\s+al (\d+) newton (\d+) res (\S+) settled$")  # a pass's last evaluation
TERM = re.compile(r"(\w+) \[([\d\s]+)\]")


def parse(lines):
    """[[pass, ...] per increment]; a pass: dict(steps, res0, contact, fibres, violation,
    rebuilds, penalty)."""
    incs, cur, last = [], None, None
    for line in lines:
        e = END.match(line)
        if e:
            al = int(e.group(1))
            if al == 1 and int(e.group(2)) == 0:  # an increment solved by its first evaluation
                cur = []
                incs.append(cur)
            if not cur or cur[-1]["al"] != al:  # a pass with no Newton step
                cur.append(dict(al=al, steps=0, res0=float(e.group(3)), contact=0, fibres=0,
                                violation=None, rebuilds=0, penalty=False))
            continue
        m = STEP.match(line)
        if m:
            al = int(m.group(1))
            counts = {t: [int(x) for x in c.split()] for t, c in TERM.findall(m.group(5))}
            if al == 1 and int(m.group(2)) == 0:
                cur = []
                incs.append(cur)
            if not cur or cur[-1]["al"] != al:
                cur.append(dict(al=al, steps=0, res0=float(m.group(3)), contact=0, fibres=0,
                                violation=None, rebuilds=0, penalty=False))
                last = None
            p = cur[-1]
            p["steps"] += 1
            if last is not None:
                # open (index 0) against closed (stick + slip) and taut (0) against slack (1)
                if "contact" in counts:
                    p["contact"] += abs(counts["contact"][0] - last["contact"][0])
                if "ligaments" in counts:
                    p["fibres"] += abs(counts["ligaments"][0] - last["ligaments"][0])
            last = counts
        elif "AL: violation" in line and cur:
            cur[-1]["violation"] = float(line.split("violation")[1].split(",")[0])
        elif "rebuild" in line and cur:
            cur[-1]["rebuilds"] += 1
        elif "penalty x10" in line and cur:
            cur[-1]["penalty"] = True
    return incs


def report(incs) -> str:
    rows = ["| increment | Newton | passes | per pass: Newton (residual at its start; change of "
            "the open count; of the taut count; violation mm at its end) | refactorisations |",
            "| --- | --- | --- | --- | --- |"]
    for k, inc in enumerate(incs, 1):
        parts = [f"{p['steps']} ({p['res0']:.1e}; {p['contact']}; {p['fibres']}; "
                 + (f"{p['violation']:.1e}" if p["violation"] is not None else "-")
                 + (", penalty x10" if p["penalty"] else "") + ")" for p in inc]
        rows.append(f"| {k} | {sum(p['steps'] for p in inc)} | {len(inc)} | "
                    + ", ".join(parts) + f" | {sum(p['rebuilds'] for p in inc)} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(report(parse(Path(sys.argv[1]).read_text().splitlines())))
