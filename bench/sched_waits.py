"""Reads `perf sched timehist -w` output and reports the waits for a CPU of the server's async
workers and of wrk: every wait longer than a threshold, what ran on that CPU meanwhile, and a
summary by what held the CPU. Used by bench/storm-sched.sh.

    python3 bench/sched_waits.py TIMEHIST THREADS THRESHOLD_MS SHOW

THREADS lists the server's threads, one per line: "tid name policy, nice N".
"""

import re
import sys
from collections import defaultdict

# A timehist line that ends a run: "time [cpu] task[tid/pid] wait sch_delay run_time".
RUN = re.compile(r"^\s*([\d.]+)\s+\[(\d+)\]\s+(\S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$")
WAITERS = re.compile(r"(tokio-rt-worker|wrk)\[")


def overlap(a0, a1, b0, b1):
    return max(0.0, min(a1, b1) - max(a0, b0))


def main(timehist, threads, threshold_ms, show):
    threshold = float(threshold_ms) / 1000
    show = int(show)
    policy = {}
    for line in open(threads):
        tid, _name, pol = line.split(maxsplit=2)
        policy[tid] = pol.strip()

    def describe(task):
        """The task with its policy if it is one of the server's threads."""
        if "[" not in task:
            return task
        tid = task.split("[")[1].split("/")[0].rstrip("]")
        return f"{task} ({policy[tid]})" if tid in policy else f"{task} (not the server)"

    runs = defaultdict(list)  # cpu -> [(start, end, task)]
    waits = []  # (start, end, cpu, task)
    for line in open(timehist):
        m = RUN.match(line)
        if not m:
            continue
        end, cpu, task = float(m[1]), int(m[2]), m[3]
        delay, length = float(m[5]) / 1000, float(m[6]) / 1000
        start = end - length
        runs[cpu].append((start, end, task))
        if delay > threshold and WAITERS.match(task):
            waits.append((start - delay, start, cpu, task))

    print(f"waits for a CPU longer than {threshold * 1000:g} ms, by server workers and wrk: {len(waits)}")
    causes = defaultdict(lambda: [0, 0.0, 0.0])  # holder -> count, total, longest
    for index, (w0, w1, cpu, task) in enumerate(waits):
        ran = defaultdict(float)
        for s, e, t in runs[cpu]:
            if (o := overlap(w0, w1, s, e)) > 0:
                ran[t] += o
        idle_elsewhere = sum(
            overlap(w0, w1, s, e)
            for c, rs in runs.items()
            if c != cpu
            for s, e, t in rs
            if t == "<idle>"
        )
        holder = max(ran, key=ran.get) if ran else "?"
        # Group by thread name and policy, not by thread id.
        cause = causes[re.sub(r"\[[^\]]*\]", "", describe(holder))]
        cause[0] += 1
        cause[1] += w1 - w0
        cause[2] = max(cause[2], w1 - w0)
        if index < show:
            instead = ", ".join(
                f"{describe(t)} {o * 1000:.2f} ms" for t, o in sorted(ran.items(), key=lambda kv: -kv[1])
            )
            print(
                f"  {task} on CPU {cpu} waited {(w1 - w0) * 1000:.2f} ms; ran instead: {instead}; "
                f"other CPUs idle meanwhile: {idle_elsewhere * 1000:.2f} ms"
            )
    if len(waits) > show:
        print(f"  ... and {len(waits) - show} more")
    print()
    print("by what held the CPU longest during each wait:")
    for cause, (count, total, longest) in sorted(causes.items(), key=lambda kv: -kv[1][1]):
        print(f"  {cause:<48} {count:>4} waits, {total * 1000:8.2f} ms in all, longest {longest * 1000:.2f} ms")


if __name__ == "__main__":
    main(*sys.argv[1:5])
