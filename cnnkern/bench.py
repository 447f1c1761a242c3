"""cnnkern-bench: time every cnnkern algorithm on the kernel-size sweep and the standard layers.

    cnnkern-bench [--quick] [--shapes FILE] [--layers NAME,...] [--algorithms direct,...]
                  [--passes fwd,bwd_input,bwd_weight] [--threads N] [--dtype float32|float64]
                  [--repeat R] [--compare torch,scipy,numpy] [--out DIR] [--json FILE]
                  [--markdown FILE] [--write-autotune [PATH]] [--no-plots] [--quiet]
    cnnkern-bench --replot RESULTS.json [--out DIR]

With no arguments it runs the cases of the embedded shapes file (cnnkern/data/shapes.json, a copy of
the project's shared/bench/shapes.json): the kernel-size sweep (sweep_k1 ... sweep_k31) and the
standard layers, forward and both backward passes, float32, on the current thread count, with every
algorithm of cnnkern.algorithms() except the slow `reference` (ask for it with --algorithms). An
algorithm that cannot run a case is shown as unsupported. When the `separable` algorithm is built,
every sweep case with k > 1 is repeated with rank-1 kernels (`sweep_kN_rank1`), the only kernels
it applies to.

For each case and pass it reports each algorithm's median time, GFLOP/s (2*N*C_out*C_in/g*prod(k)*
prod(out) / t, the same count for every pass and algorithm), the measured peak extra memory (C
workspace allocated during the call, besides the inputs and the result), the fastest, and what
`algorithm="auto"` chose without measuring (cnnkern.choose_algorithm), then how often that choice was
within 1.1x of the fastest. It writes DIR/results.json (machine, versions, threads, every timing)
and, with matplotlib installed (pip install "cnnkern[plot]"), DIR/sweep.png (time against kernel
size) and DIR/layers.png (GFLOP/s per standard layer).
"""
import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from . import __version__, _choose, _conv_ext, _execute
from ._calibrate import calibration_path, cpu_identity
from ._calibrate_probes import calibrate
from ._config import config_info
from ._bench_report import format_markdown, format_summary, format_tables, write_plots
from ._params import make_conv_params
from ._threads import get_num_threads, num_threads
from .conv import algorithms, conv2d_backward_input, conv2d_backward_weight, conv2d_forward

PASSES = ("fwd", "bwd_input", "bwd_weight")
DIRECTION = {"fwd": "forward", "bwd_input": "backward_input", "bwd_weight": "backward_weight"}
QUICK_LAYERS = ("r50_3x3_28", "r50_3x3_14", "r50_1x1_14", "dw3x3_56")
QUICK_SWEEP = (1, 3, 7, 15)
COMPARES = ("torch", "scipy", "numpy")
SCIPY_MAX_FLOPS = 4e9  # skip the (single-threaded, per image and filter) scipy forward above this
COMPARE_COOLDOWN_S = 0.3  # after a case's comparison timings: let other libraries' spinning threads sleep
RESULTS_FORMAT = "cnnkern-bench"
DEFAULT_OUT = "cnnkern-bench-out"


# ---------------------------------------------------------------------------------------------------
# Cases

@dataclass
class Case:
    name: str
    kind: str  # "sweep" or "layer"
    n: int
    c_in: int
    c_out: int
    h: int
    w: int
    k: int
    stride: int = 1
    padding: object = 0  # int or "same"
    groups: int = 1
    rank1: bool = False  # kernels are rank-1 per slice: the case the separable algorithm needs
    params: object = field(default=None, repr=False)

    def __post_init__(self):
        self.params = make_conv_params(2, (self.n, self.c_in, self.h, self.w),
                                       (self.c_out, self.c_in // max(self.groups, 1), self.k, self.k),
                                       stride=self.stride, padding=self.padding, groups=self.groups)

    @property
    def pad_pairs(self):
        p = self.params
        return tuple(zip(p.pad_before, p.pad_after))

    def describe(self):
        p = self.params
        pads = self.pad_pairs
        pad = pads[0][0] if all(b == a == pads[0][0] for b, a in pads) else list(pads)
        return (f"x {p.x_shape}  w {p.w_shape}  stride {self.stride}  padding {pad}  groups {self.groups}"
                + ("  rank-1 kernels" if self.rank1 else "") + f"  ({p.flops() / 1e9:.3g} GFLOP per pass)")


def load_shapes(path=None):
    """The shapes JSON: the packaged default, or a file in the same format."""
    if path is None:
        with resources.files("cnnkern").joinpath("data/shapes.json").open() as fh:
            return json.load(fh)
    with open(path) as fh:
        return json.load(fh)


_LAYER_FIELDS = ("name", "n", "c_in", "c_out", "h", "w", "k")
_SWEEP_FIELDS = ("n", "c_in", "c_out", "h", "w", "k")


def cases_from_shapes(shapes, *, rank1_variants=False):
    """Case objects from a shapes dict: "kernel_sweep" first (sweep_k{k}, "same" padding), then
    "conv2d" (the standard layers). Raises ValueError naming the bad entry."""
    if not isinstance(shapes, dict) or not ("conv2d" in shapes or "kernel_sweep" in shapes):
        raise ValueError('a shapes file is a JSON object with a "conv2d" list and/or a "kernel_sweep" object')
    cases = []
    sweep = shapes.get("kernel_sweep")
    if sweep is not None:
        missing = [f for f in _SWEEP_FIELDS if f not in sweep]
        if missing:
            raise ValueError(f"kernel_sweep lacks {missing}")
        for k in sweep["k"]:
            try:
                cases.append(Case(f"sweep_k{k}", "sweep", sweep["n"], sweep["c_in"], sweep["c_out"],
                                  sweep["h"], sweep["w"], int(k), padding="same"))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"kernel_sweep k={k}: {exc}") from None
        if rank1_variants:
            cases += [Case(c.name + "_rank1", "sweep_rank1", c.n, c.c_in, c.c_out, c.h, c.w, c.k,
                           padding="same", rank1=True) for c in list(cases) if c.k > 1]
    for layer in shapes.get("conv2d", []):
        missing = [f for f in _LAYER_FIELDS if f not in layer]
        if missing:
            raise ValueError(f"conv2d layer {layer.get('name', layer)!r} lacks {missing}")
        try:
            cases.append(Case(layer["name"], "layer", layer["n"], layer["c_in"], layer["c_out"], layer["h"],
                              layer["w"], layer["k"], layer.get("stride", 1), layer.get("pad", 0),
                              layer.get("groups", 1)))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"conv2d layer {layer['name']!r}: {exc}") from None
    names = [c.name for c in cases]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"duplicate case names {dup}")
    return cases


# ---------------------------------------------------------------------------------------------------
# Timing

def median_call_time(fn, repeat, clock=time.perf_counter):
    """The median of `repeat` timed calls of fn (by `clock`) after one untimed warm-up: the plain
    measurement of the scripts in benchmarks/."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def _median_time(fn, repeat, min_time=0.05, max_rounds=50):
    """Median of at least `repeat` timed calls (more, up to max_rounds, until min_time has passed),
    after one untimed warm-up; returns (median, list of times)."""
    fn()  # warm-up: page in buffers, let OpenMP start its team
    times = _execute.interleaved_times({"fn": fn}, repeat, min_time, max_rounds)["fn"]
    return statistics.median(times), times


def _peak_extra_bytes(fn):
    """Run fn once; the peak bytes of C workspace it held beyond what was held before."""
    before = _conv_ext.workspace_bytes()[0]
    _conv_ext.workspace_reset_peak()
    fn()
    return max(0, _conv_ext.workspace_bytes()[1] - before)


def _case_arrays(case, dtype, rng):
    p = case.params
    x = rng.standard_normal(p.x_shape).astype(dtype)
    if case.rank1:
        w = _choose._rank1_weight(p.w_shape, dtype, rng)
    else:
        w = rng.standard_normal(p.w_shape).astype(dtype)
    dy = rng.standard_normal(p.y_shape).astype(dtype)
    return x, w, dy


def layer_problem(layer, dtype, rng):
    """(x, w, dy, keywords, params) of one "conv2d" entry of a shapes file, keywords being the
    stride/padding/groups of the conv calls (for the measurement scripts under benchmarks/)."""
    case = cases_from_shapes({"conv2d": [layer]})[0]
    x, w, dy = _case_arrays(case, dtype, rng)
    return x, w, dy, dict(stride=case.stride, padding=case.padding, groups=case.groups), case.params


def _cnnkern_calls(case, algo, x, w, dy):
    kw = dict(stride=case.stride, padding=case.pad_pairs, groups=case.groups, algorithm=algo)
    return {
        "fwd": lambda: conv2d_forward(x, w, **kw),
        "bwd_input": lambda: conv2d_backward_input(dy, w, x.shape, **kw),
        "bwd_weight": lambda: conv2d_backward_weight(dy, x, w.shape, **kw),
    }


def _blas_threads(n):
    """Limit NumPy's BLAS to n threads (threadpoolctl), or do nothing without it."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def _torch_calls(case, x, w, dy, threads):
    """The three passes in PyTorch, or a reason string when it cannot run this case."""
    import torch

    torch.set_num_threads(threads)
    pads = case.pad_pairs
    if any(b != a for b, a in pads):
        return "asymmetric padding"
    xt, wt, dyt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(dy)
    args = dict(stride=case.stride, padding=tuple(b for b, _ in pads), groups=case.groups)
    return {
        "fwd": lambda: torch.nn.functional.conv2d(xt, wt, **args),
        "bwd_input": lambda: torch.nn.grad.conv2d_input(xt.shape, wt, dyt, **args),
        "bwd_weight": lambda: torch.nn.grad.conv2d_weight(xt, wt.shape, dyt, **args),
    }


def _scipy_calls(case, x, w, dy, threads):
    """Forward only: scipy.signal.correlate of each image (C_in, H, W) with each filter (C_in, kH, kW),
    'valid' on the padded input (method="auto": SciPy picks direct or FFT); stride by subsampling."""
    from scipy import signal

    if case.groups != 1:
        return "groups > 1"
    p = case.params
    if p.flops() > SCIPY_MAX_FLOPS:
        return f"skipped: over {SCIPY_MAX_FLOPS / 1e9:.0f} GFLOP per call"
    s = case.stride
    pads = ((0, 0), (0, 0)) + case.pad_pairs

    def forward():
        xp = np.pad(x, pads)
        y = np.empty((x.shape[0], w.shape[0]) + tuple(p.out_size), dtype=x.dtype)
        for n in range(x.shape[0]):
            for k in range(w.shape[0]):
                y[n, k] = signal.correlate(xp[n], w[k], mode="valid", method="auto")[0, ::s, ::s]
        return y

    return {"fwd": forward}


def _numpy_calls(case, x, w, dy, threads):
    """NumPy's matmul of the GEMM an im2col convolution runs (same flop count), groups times."""
    p = case.params
    rng = np.random.default_rng(1)
    m = p.out_channels // p.groups
    kk = (p.in_channels // p.groups) * int(np.prod(p.kernel_size))
    nn = p.batch * int(np.prod(p.out_size))
    a = rng.standard_normal((m, kk)).astype(x.dtype)
    b = rng.standard_normal((kk, nn)).astype(x.dtype)

    def gemm():
        with _blas_threads(threads):  # the baseline runs on as many threads as cnnkern
            for _ in range(p.groups):
                a @ b

    return {pas: gemm for pas in PASSES}


_COMPARE_CALLS = {"torch": _torch_calls, "scipy": _scipy_calls, "numpy": _numpy_calls}


class _Progress:
    """A tqdm bar on a terminal; one plain line per case otherwise (CI logs), or nothing if quiet."""

    def __init__(self, total, ncases, stream, quiet=False):
        self.stream, self.ncases, self.quiet, self.bar = stream, ncases, quiet, None
        self.done_cases = 0
        if not quiet and getattr(stream, "isatty", lambda: False)():
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, file=stream, unit="timing", leave=False, dynamic_ncols=True)

    def step(self, label):
        if self.bar is not None:
            self.bar.set_description(label, refresh=False)
            self.bar.update(1)

    def case_done(self, case, seconds):
        self.done_cases += 1
        if self.bar is None and not self.quiet:
            print(f"cnnkern-bench: [{self.done_cases}/{self.ncases}] {case.name} ({seconds:.1f} s)",
                  file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def run(cases, algos, passes, dtype, repeat, *, compares=(), threads=None, progress_stream=None,
        quiet=False):
    """Time every (case, pass, algorithm); returns (rows, case summaries). Threads: the current count."""
    threads = get_num_threads() if threads is None else threads
    rng = np.random.default_rng(0)
    total = sum(len(passes) * (len(algos) + len(compares)) for _ in cases)
    progress = _Progress(total, len(cases), sys.stderr if progress_stream is None else progress_stream, quiet)
    rows, summaries = [], []
    try:
        for case in cases:
            t_case = time.perf_counter()
            x, w, dy = _case_arrays(case, dtype, rng)
            flops = case.params.flops()
            summary = dict(name=case.name, passes={})
            for pas in passes:
                direction = DIRECTION[pas]
                times = {}
                fns, pending = {}, {}
                for algo in algos:
                    progress.step(f"{case.name} {pas} {algo}")
                    row = dict(case=case.name, layer=case.name, kind=case.kind, algorithm=algo, pass_=pas,
                               compare=False)
                    rows.append(row)
                    fn = _cnnkern_calls(case, algo, x, w, dy)[pas]
                    try:  # also the warm-up call
                        extra = _peak_extra_bytes(fn)
                    except (NotImplementedError, ValueError) as exc:
                        row.update(supported=False, error=f"{type(exc).__name__}: {exc}")
                        continue
                    row.update(supported=True, extra_bytes=extra)
                    fns[algo], pending[algo] = fn, row
                for algo, all_times in _execute.interleaved_times(fns, repeat).items():
                    t = statistics.median(all_times)
                    times[algo] = t
                    pending[algo].update(median_s=t, times=all_times, gflops=flops / t / 1e9)
                estimates = _choose.estimate_costs(case.params, direction, separable=case.rank1, dtype=dtype)
                auto = _choose.model_choice(case.params, direction, separable=case.rank1, dtype=dtype)
                fastest = min(times, key=times.get) if times else None
                ratio = times[auto] / times[fastest] if fastest and auto in times else None
                guarded = _choose.guard_pick(estimates, times) or auto
                gratio = times[guarded] / times[fastest] if fastest and guarded in times else None
                summary["passes"][pas] = dict(fastest=fastest, auto=auto, auto_ratio=ratio, guarded=guarded,
                                              guarded_ratio=gratio, estimates_s=estimates, times_s=times)
            # Other libraries after all of cnnkern's timings of the case: their thread pools keep
            # spinning for a while after each call, which would slow down (oversubscribe) ours.
            for pas in passes if compares else ():
                for comp in compares:
                    progress.step(f"{case.name} {pas} {comp}")
                    row = dict(case=case.name, layer=case.name, kind=case.kind, algorithm=comp, pass_=pas,
                               compare=True)
                    calls = _COMPARE_CALLS[comp](case, x, w, dy, threads)
                    if isinstance(calls, str) or pas not in calls:
                        row.update(supported=False, error=calls if isinstance(calls, str) else "forward only")
                    else:
                        t, all_times = _median_time(calls[pas], repeat)
                        row.update(supported=True, median_s=t, times=all_times, gflops=flops / t / 1e9,
                                   extra_bytes=None)
                    rows.append(row)
            if compares:
                time.sleep(COMPARE_COOLDOWN_S)
            summaries.append(summary)
            progress.case_done(case, time.perf_counter() - t_case)
    finally:
        progress.close()
    return rows, summaries


def chooser_quality(summaries, tolerance=1.1, key="auto_ratio"):
    """How often the unmeasured choice (key="guarded_ratio": with the guard, its candidates ranked by
    the bench's own timings) was within `tolerance` of the fastest, and the worst ratio, over the
    (case, pass) pairs where that algorithm was among those timed."""
    ratios = [(s["name"], pas, v[key]) for s in summaries for pas, v in s["passes"].items()
              if v.get(key) is not None]
    if not ratios:
        return dict(count=0, within=0, fraction=None, worst_ratio=None, worst=None, tolerance=tolerance)
    within = sum(1 for _, _, r in ratios if r <= tolerance)
    worst = max(ratios, key=lambda t: t[2])
    return dict(count=len(ratios), within=within, fraction=within / len(ratios), worst_ratio=worst[2],
                worst=f"{worst[0]} {worst[1]}", tolerance=tolerance)


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def machine_info(threads):
    cfg = config_info()
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = None
    versions = dict(cnnkern=__version__, python=platform.python_version(), numpy=np.__version__)
    for mod in ("scipy", "threadpoolctl", "torch", "matplotlib", "tqdm"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # not installed (or broken): just not listed
            pass
    try:
        load = list(os.getloadavg())
    except (AttributeError, OSError):
        load = None

    machine = dict(platform=platform.platform(), machine=platform.machine(), cpu=_cpu_model(),
                   cpu_identity=cpu_identity(),
                   cpu_count=os.cpu_count(), usable_cpus=affinity, isa=cfg["isa"], openmp=cfg["openmp"],
                   cflags=cfg["cflags"], blas=cfg["blas"], threads=threads, load_average_at_start=load)
    return machine, versions


# ---------------------------------------------------------------------------------------------------
# Command line

def _split(value):
    return [v.strip() for v in value.split(",") if v.strip()]


def build_parser():
    ap = argparse.ArgumentParser(prog="cnnkern-bench", description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("--quick", action="store_true",
                    help=f"a short run: sweep k in {QUICK_SWEEP} and the layers {', '.join(QUICK_LAYERS)}, "
                         "3 repeats (at most about 30 s on 2 idle cores; about 2 minutes on a heavily loaded machine)")
    ap.add_argument("--shapes", help="a shapes JSON file in the format of cnnkern/data/shapes.json")
    ap.add_argument("--layers", help="comma-separated case names (layers of the shapes file, or sweep_kN)")
    ap.add_argument("--algorithms", help="comma-separated algorithm names (default: all but reference)")
    ap.add_argument("--passes", default=",".join(PASSES), help="comma-separated subset of " + ",".join(PASSES))
    ap.add_argument("--threads", type=int, default=None, help="threads (default: cnnkern.get_num_threads())")
    ap.add_argument("--dtype", default=None, choices=("float32", "float64"),
                    help="default float32 (with --calibrate: both)")
    ap.add_argument("--repeat", type=int, default=None, help="timed calls per measurement, median taken (default 5; 3 with --quick)")
    ap.add_argument("--compare", help="comma-separated extra columns: torch (PyTorch), scipy "
                                      "(scipy.signal.correlate, forward), numpy (matmul of the equivalent GEMM)")
    ap.add_argument("--out", default=DEFAULT_OUT, help=f"directory for results.json and the plots (default {DEFAULT_OUT})")
    ap.add_argument("--json", help="also write the results JSON to this file")
    ap.add_argument("--markdown", metavar="FILE", help="also write the results as a Markdown table (GFLOP/s)")
    ap.add_argument("--no-plots", action="store_true", help="do not draw the plots")
    ap.add_argument("--write-autotune", nargs="?", const="", metavar="PATH",
                    help="save the measured winners as an autotune cache (cnnkern.load_autotune_cache reads it; "
                         "default path: cnnkern.autotune_cache_path())")
    ap.add_argument("--quiet", action="store_true", help="no progress output")
    ap.add_argument("--calibrate", action="store_true",
                    help="time nothing else: measure this machine's rates for algorithm=\"auto\" (a few "
                         "seconds; --threads and --dtype select what; see cnnkern.calibrate) and store them")
    ap.add_argument("--replot", metavar="RESULTS", help="time nothing: print the tables of a results.json "
                                                        "and draw its plots into --out")
    return ap


def _cases_from_results(results):
    cases = []
    for c in results["cases"]:
        n, c_in, h, w = c["x_shape"]
        c_out, _, kh, _ = c["w_shape"]
        case = Case(c["name"], c["kind"], n, c_in, c_out, h, w, kh, c["stride"],
                    [tuple(pp) for pp in c["padding"]], c["groups"], bool(c.get("rank1")))
        cases.append(case)
    return cases


def _write_markdown(path, results, cases, summaries):
    m = results["machine"]
    header = (f"cnnkern {results['versions']['cnnkern']}, {m['cpu'] or m['machine']} ({m['isa']}), "
              f"{results['threads']} thread(s), {results['dtype']}, median of {results['repeat']}; GFLOP/s "
              "(2*N*C_out*C_in/g*prod(k)*prod(out) / time), bold: the fastest cnnkern algorithm; "
              f"`{' '.join(results['command'])}`")
    with open(path, "w") as fh:
        fh.write("\n".join(format_markdown(cases, results["rows"], summaries, results["chooser_quality"], header))
                 + "\n")


def replot(ap, args):
    try:
        with open(args.replot) as fh:
            results = json.load(fh)
        if results.get("format") != RESULTS_FORMAT:
            raise ValueError("not a cnnkern-bench results file")
        cases = _cases_from_results(results)
        rows, passes = results["rows"], results["passes"]
        summaries = [dict(name=c["name"], passes=c["passes"]) for c in results["cases"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        ap.error(f"--replot {args.replot!r}: {exc}")
    for line in format_tables(cases, rows, summaries) + format_summary(summaries, results["chooser_quality"]):
        print(line)
    if args.markdown:
        _write_markdown(args.markdown, results, cases, summaries)
        print(f"wrote {args.markdown}")
    os.makedirs(args.out, exist_ok=True)
    try:
        written = write_plots(args.out, cases, rows, passes)
    except ImportError:
        print("plots skipped: matplotlib is not installed (pip install \"cnnkern[plot]\")")
        return 0
    print(f"wrote {', '.join(written)}")
    return 0


def _calibrate_command(ap, args):

    if args.threads is not None and args.threads < 1:
        ap.error(f"--threads must be >= 1, got {args.threads}")
    dtypes = (args.dtype,) if args.dtype else ("float32", "float64")
    written = calibrate(threads=args.threads, dtypes=dtypes)
    for e in written:
        print(f"calibrated {e['key']['threads']} thread(s), {e['key']['isa']}, BLAS {e['key']['blas']} "
              f"in {e['seconds']:.1f} s:")
        for dt, rates in e["rates"].items():
            print(f"  {dt}: " + ", ".join(f"{c} {v:.3g}/s" for c, v in rates.items()))
    print(f"wrote {calibration_path()}")
    return 0


def main(argv=None):
    ap = build_parser()
    args = ap.parse_args(argv)
    if args.replot:
        return replot(ap, args)
    if args.calibrate:
        return _calibrate_command(ap, args)
    args.dtype = args.dtype or "float32"

    try:
        shapes = load_shapes(args.shapes)
    except FileNotFoundError:
        ap.error(f"--shapes: no such file {args.shapes!r}")
    except (OSError, ValueError) as exc:
        ap.error(f"--shapes {args.shapes!r}: not a readable JSON file ({exc})")
    avail = algorithms()
    algos = _split(args.algorithms) if args.algorithms else [a for a in avail if a != "reference"]
    if not algos:
        ap.error("--algorithms is empty")
    for a in algos:
        if a not in avail:
            ap.error(f"unknown algorithm {a!r}; available: {', '.join(avail)}")
    try:
        cases = cases_from_shapes(shapes, rank1_variants="separable" in algos)
    except ValueError as exc:
        ap.error(f"shapes {args.shapes or '(packaged)'}: {exc}")
    if args.layers:
        wanted = _split(args.layers)
        unknown = sorted(set(wanted) - {c.name for c in cases})
        if unknown:
            ap.error(f"unknown layers {unknown}; known: {', '.join(c.name for c in cases)}")
        cases = [c for c in cases if c.name in wanted]
    elif args.quick:
        quick_names = {f"sweep_k{k}" for k in QUICK_SWEEP} | {f"sweep_k{k}_rank1" for k in QUICK_SWEEP}
        quick_names |= set(QUICK_LAYERS)
        picked = [c for c in cases if c.name in quick_names]
        cases = picked or cases  # a custom shapes file without those names runs whole
    if not cases:
        ap.error("no cases to run (the shapes file has no kernel_sweep or conv2d entries)")
    passes = _split(args.passes)
    if not passes:
        ap.error("--passes is empty")
    for pas in passes:
        if pas not in PASSES:
            ap.error(f"unknown pass {pas!r}; choose from {', '.join(PASSES)}")
    compares = _split(args.compare) if args.compare else []
    for comp in compares:
        if comp not in COMPARES:
            ap.error(f"unknown --compare {comp!r}; choose from {', '.join(COMPARES)}")
        if comp in ("torch", "scipy"):
            try:
                __import__(comp)
            except ImportError:
                ap.error(f"--compare {comp} needs {comp} installed (pip install {comp})")
    if args.threads is not None and args.threads < 1:
        ap.error(f"--threads must be >= 1, got {args.threads}")
    repeat = args.repeat if args.repeat is not None else (3 if args.quick else 5)
    if repeat < 1:
        ap.error(f"--repeat must be >= 1, got {repeat}")
    threads = args.threads or get_num_threads()
    dtype = np.dtype(args.dtype)

    started = time.perf_counter()
    with num_threads(threads):
        machine, versions = machine_info(threads)
        print(f"cnnkern-bench {__version__}: {len(cases)} cases x {len(passes)} passes, algorithms "
              f"{', '.join(algos)}{' vs ' + ', '.join(compares) if compares else ''}; {threads} thread(s), "
              f"{args.dtype}, median of {repeat}; {machine['cpu'] or machine['machine']}, {machine['isa']}",
              flush=True)
        load = machine["load_average_at_start"]
        cpus = machine["usable_cpus"] or machine["cpu_count"] or 1
        if load and load[0] > 0.5 * cpus:
            print(f"note: the machine is busy (load average {load[0]:.1f} on {cpus} CPUs): other processes "
                  "will slow some timings down and make the comparisons noisy", flush=True)
        rows, summaries = run(cases, algos, passes, dtype, repeat, compares=compares, threads=threads,
                              quiet=args.quiet)
        quality = chooser_quality(summaries)
        quality["with_guard"] = chooser_quality(summaries, key="guarded_ratio")
        if args.write_autotune is not None:
            for case, s in zip(cases, summaries):
                for pas, v in s["passes"].items():
                    if v["times_s"]:
                        _choose.record_autotune_result(case.params, dtype, DIRECTION[pas], v["times_s"],
                                                       separable=case.rank1, threads=threads)
    elapsed = time.perf_counter() - started
    for line in format_tables(cases, rows, summaries) + format_summary(summaries, quality):
        print(line)

    results = dict(
        format=RESULTS_FORMAT, version=2, created=datetime.datetime.now(datetime.timezone.utc).isoformat(),
        command=["cnnkern-bench"] + list(sys.argv[1:] if argv is None else argv),
        machine=machine, versions=versions, threads=threads, dtype=args.dtype, repeat=repeat,
        passes=passes, algorithms=algos, compare=compares, elapsed_s=elapsed,
        chooser_constants=_choose.CONSTANTS_FILE.get("fitted"),
        chooser_rates_source=_choose.machine_rates(dtype, threads)[1],
        cases=[dict(name=c.name, kind=c.kind, k=c.k, x_shape=list(c.params.x_shape),
                    w_shape=list(c.params.w_shape), stride=c.stride, padding=[list(pp) for pp in c.pad_pairs],
                    dilation=1, groups=c.groups, rank1=c.rank1, flops=c.params.flops(), passes=s["passes"])
               for c, s in zip(cases, summaries)],
        chooser_quality=quality, rows=rows,
    )
    os.makedirs(args.out, exist_ok=True)
    targets = [os.path.join(args.out, "results.json")] + ([args.json] if args.json else [])
    for path in targets:
        with open(path, "w") as fh:
            json.dump(results, fh, indent=1)
    if args.markdown:
        _write_markdown(args.markdown, results, cases, summaries)
        targets.append(args.markdown)
    print()
    print(f"wrote {', '.join(targets)} ({elapsed:.0f} s of timing)")
    if not args.no_plots:
        try:
            written = write_plots(args.out, cases, rows, passes)
        except ImportError:
            print("plots skipped: matplotlib is not installed (pip install \"cnnkern[plot]\" to draw "
                  "sweep.png and layers.png)")
        else:
            if written:
                print(f"wrote {', '.join(written)}")
    if args.write_autotune is not None:
        path = _choose.save_autotune_cache(args.write_autotune or None)
        print(f"wrote the autotune cache {path} (load it with cnnkern.load_autotune_cache(); "
              "use it with cnnkern.set_autotune(True))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
