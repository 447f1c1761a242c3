"""cnnkern-bench output: the per-case tables, the summary, the Markdown table and the plots.

Inputs are the bench's Case objects, its rows (one dict per case, pass and algorithm or comparison)
and its per-case summaries (fastest, auto's choice, their ratio); see cnnkern/bench.py.
"""
import os
import textwrap
import zlib

import numpy as np

COMPARE_LABEL = {"torch": "torch", "scipy": "scipy", "numpy": "np.matmul"}

# One colour per algorithm in every panel and plot (matplotlib's tab10 colours, by hex so that the
# mapping does not depend on the colour cycle). Names not listed (a new algorithm) get a stable
# colour from EXTRA_COLORS chosen by a hash of the name, the same in every run.
ALGO_COLORS = {
    "direct": "#1f77b4", "im2col": "#ff7f0e", "fft": "#2ca02c", "separable": "#d62728",
    "winograd": "#9467bd", "reference": "#7f7f7f",
    "torch": "#000000", "scipy": "#8c564b", "numpy": "#e377c2",
}
EXTRA_COLORS = ("#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94")
NOTE_WIDTH = 60  # characters of an "unsupported" reason per table line; longer reasons wrap


def algo_color(name):
    """The colour of an algorithm or comparison column, the same in every plot and run."""
    if name in ALGO_COLORS:
        return ALGO_COLORS[name]
    return EXTRA_COLORS[zlib.crc32(name.encode()) % len(EXTRA_COLORS)]


def _fmt_bytes(n):
    if n is None:
        return "-"
    for unit, scale in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _fmt_time(t):
    return f"{t * 1e3:.2f} ms" if t < 10 else f"{t:.2f} s"


def format_tables(cases, rows, summaries):
    """One table per case (rows: pass x algorithm), as a list of lines."""
    by = {(r["case"], r["pass_"], r["algorithm"]): r for r in rows}
    order = []
    for r in rows:
        if r["algorithm"] not in order:
            order.append(r["algorithm"])
    summ = {s["name"]: s for s in summaries}
    lines = []
    for case in cases:
        if case.name not in summ:
            continue
        lines.append("")
        lines.append(f"{case.name}: {case.describe()}")
        lines.append(f"  {'pass':<11} {'algorithm':<11} {'median':>11} {'GFLOP/s':>8} {'extra mem':>10}  note")
        for pas, info in summ[case.name]["passes"].items():
            first = True
            for algo in order:
                r = by.get((case.name, pas, algo))
                if r is None:
                    continue
                label = COMPARE_LABEL.get(algo, algo) if r["compare"] else algo
                if not r["supported"]:
                    note = "unsupported" if not r["compare"] else "n/a"
                    reason = r.get("error", "")
                    reason = reason.split(": ", 1)[-1] if reason.startswith(("NotImpl", "ValueErr")) else reason
                    wrapped = textwrap.wrap(f"{note}: {reason}", NOTE_WIDTH, break_long_words=False, max_lines=4,
                                            placeholder=" [...]") or [note]
                    lines.append(f"  {pas if first else '':<11} {label:<11} {'-':>11} {'-':>8} {'-':>10}  "
                                 f"{wrapped[0]}")
                    lines += [f"  {'':<11} {'':<11} {'':>11} {'':>8} {'':>10}    {more}" for more in wrapped[1:]]
                else:
                    notes = []
                    if algo == info["fastest"]:
                        notes.append("fastest")
                    if algo == info["auto"] and not r["compare"]:
                        notes.append("auto" if algo == info["fastest"] else f"auto ({info['auto_ratio']:.2f}x)")
                    if r["compare"]:
                        notes.append("comparison")
                    lines.append(f"  {pas if first else '':<11} {label:<11} {_fmt_time(r['median_s']):>11} "
                                 f"{r['gflops']:8.1f} {_fmt_bytes(r['extra_bytes']):>10}  {', '.join(notes)}")
                first = False
            if info["auto"] not in info["times_s"]:
                lines.append(f"  {'':<11} auto chose {info['auto']} (not timed here)")
    return lines


def format_summary(summaries, quality):
    lines = ["", "auto (the unmeasured choice) against the fastest, per case and pass:",
             f"  {'case':<22} {'pass':<11} {'fastest':<10} {'auto':<10} {'auto/fastest':>12}"]
    for s in summaries:
        for pas, v in s["passes"].items():
            ratio = "-" if v["auto_ratio"] is None else f"{v['auto_ratio']:.2f}"
            lines.append(f"  {s['name']:<22} {pas:<11} {str(v['fastest']):<10} {v['auto']:<10} {ratio:>12}")
    if quality["count"]:
        lines.append(f"auto within {quality['tolerance']}x of the fastest in {quality['within']} of "
                     f"{quality['count']} cases ({100 * quality['fraction']:.0f}%); worst "
                     f"{quality['worst_ratio']:.2f}x ({quality['worst']})")
    guard = quality.get("with_guard")
    if guard and guard["count"]:
        lines.append(f"with the guard (its candidates ranked by these timings): {guard['within']} of "
                     f"{guard['count']} ({100 * guard['fraction']:.0f}%); worst {guard['worst_ratio']:.2f}x "
                     f"({guard['worst']})")
    return lines


def format_markdown(cases, rows, summaries, quality, header):
    """A Markdown table for a README: GFLOP/s per case and pass, the fastest in bold, auto's pick."""
    by = {(r["case"], r["pass_"], r["algorithm"]): r for r in rows}
    algos, comps = [], []
    for r in rows:
        target = comps if r["compare"] else algos
        if r["algorithm"] not in target:
            target.append(r["algorithm"])
    cols = [COMPARE_LABEL.get(c, c) for c in comps] + algos
    lines = [header, "",
             "| case | pass | " + " | ".join(cols) + " | auto picks | auto / fastest |",
             "| --- | --- | " + " | ".join("---:" for _ in cols) + " | --- | ---: |"]
    summ = {s["name"]: s for s in summaries}
    for case in cases:
        if case.name not in summ:
            continue
        for i, (pas, info) in enumerate(summ[case.name]["passes"].items()):
            cells = []
            for algo in comps + algos:
                r = by.get((case.name, pas, algo))
                if r is None or not r["supported"]:
                    cells.append("-")
                    continue
                cell = f"{r['gflops']:.0f}" if r["gflops"] >= 10 else f"{r['gflops']:.1f}"
                cells.append(f"**{cell}**" if algo == info["fastest"] else cell)
            ratio = "-" if info["auto_ratio"] is None else f"{info['auto_ratio']:.2f}"
            lines.append(f"| {case.name if i == 0 else ''} | {pas} | " + " | ".join(cells)
                         + f" | {info['auto']} | {ratio} |")
    if quality["count"]:
        lines += ["", f"auto (unmeasured) within {quality['tolerance']}x of the fastest in {quality['within']} of "
                      f"{quality['count']} case-passes ({100 * quality['fraction']:.0f}%), worst "
                      f"{quality['worst_ratio']:.2f}x ({quality['worst']})."]
    guard = quality.get("with_guard")
    if guard and guard["count"]:
        lines[-1] += (f" With the guard (its candidates ranked by these timings): {guard['within']} of "
                      f"{guard['count']} ({100 * guard['fraction']:.0f}%), worst {guard['worst_ratio']:.2f}x.")
    return lines


def _figure_legend(fig, axes, extra=None):
    """One legend for the whole figure, below the panels: every label drawn in any panel, once (one
    colour per algorithm), then the `extra` {label: handle} entries (line styles)."""
    handles = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, handle)
    handles.update(extra or {})
    ncol = min(len(handles), 8) or 1
    rows = -(-len(handles) // ncol)
    bottom = (0.04 + 0.05 * rows) * 3.6 / fig.get_figheight()
    fig.tight_layout(rect=(0, bottom, 1, 1))
    if handles:
        fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=ncol, fontsize=7,
                   frameon=False)


def write_plots(out_dir, cases, rows, passes):
    """sweep.png (median time against kernel size, log axes) and layers.png (GFLOP/s per layer).
    Returns the paths written; raises ImportError without matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    ok = [r for r in rows if r["supported"]]
    algos = []
    for r in ok:
        if r["algorithm"] not in algos:
            algos.append(r["algorithm"])
    kinds = {c.name: c for c in cases}
    sweep = [c for c in cases if c.kind in ("sweep", "sweep_rank1")]
    if sweep:
        fig, axes = plt.subplots(1, len(passes), figsize=(4.2 * len(passes), 3.6), squeeze=False)
        for ax, pas in zip(axes[0], passes):
            for kind, style in (("sweep", "-"), ("sweep_rank1", "--")):
                for algo in algos:
                    pts = sorted((kinds[r["case"]].k, r["median_s"] * 1e3) for r in ok
                                 if r["pass_"] == pas and r["algorithm"] == algo and kinds[r["case"]].kind == kind)
                    if pts:
                        ax.plot(*zip(*pts), style, marker="o", ms=3, label=COMPARE_LABEL.get(algo, algo),
                                color=algo_color(algo))
            ax.set_xscale("log")
            ax.set_yscale("log")
            ks = sorted({c.k for c in sweep})
            ax.set_xticks(ks)
            ax.set_xticklabels([str(k) for k in ks])
            ax.minorticks_off()
            ax.grid(True, which="major", alpha=0.3)
            ax.set_xlabel("kernel size k (k x k)")
            ax.set_title(pas)
        axes[0][0].set_ylabel("median time (ms)")
        c = sweep[0].params
        fig.suptitle(f"kernel sweep: x {c.x_shape}, C_out {c.out_channels}, 'same' padding", fontsize=9)
        from matplotlib.lines import Line2D

        styles = {"random kernels": Line2D([], [], color="0.3", ls="-"),
                  "rank-1 kernels": Line2D([], [], color="0.3", ls="--")}
        _figure_legend(fig, axes[0], extra=styles)
        path = os.path.join(out_dir, "sweep.png")
        fig.savefig(path, dpi=72)
        plt.close(fig)
        written.append(path)
    layers = [c for c in cases if c.kind == "layer"]
    if layers:
        fig, axes = plt.subplots(len(passes), 1, figsize=(10, 2.6 * len(passes)), squeeze=False)
        width = 0.8 / max(1, len(algos))
        for ax, pas in zip(axes[:, 0], passes):
            for i, algo in enumerate(algos):
                vals = []
                for c in layers:
                    r = next((r for r in ok if r["case"] == c.name and r["pass_"] == pas
                              and r["algorithm"] == algo), None)
                    vals.append(r["gflops"] if r else 0.0)
                ax.bar(np.arange(len(layers)) + (i - (len(algos) - 1) / 2) * width, vals, width,
                       label=COMPARE_LABEL.get(algo, algo), color=algo_color(algo))
            ax.set_ylabel(f"{pas} GFLOP/s")
            ax.set_xticks(np.arange(len(layers)))
            ax.set_xticklabels([c.name for c in layers], rotation=30, ha="right", fontsize=7)
            ax.grid(True, axis="y", alpha=0.3)
        fig.suptitle("standard layers, GFLOP/s (higher is better; no bar: unsupported)", fontsize=9)
        _figure_legend(fig, axes[:, 0])
        path = os.path.join(out_dir, "layers.png")
        fig.savefig(path, dpi=72)
        plt.close(fig)
        written.append(path)
    return written
