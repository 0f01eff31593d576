# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Complexity: what GSA's attention costs, measured and predicted
#
# Every number below is read from the files `gsa-theory plot-data` writes (see `gsaplots.py`);
# the paper's own numbers come from the `paper_reference` dataset and are labelled *reported*.
#
# Two accounting conventions (GSA-THEORY.md §3):
# - **O-ratio** [fig][3p]: the paper's O-terms with coefficient 1 — dense $L^2 D$, GSA $L^2 d_I H_I + L k D$;
# - **causal FLOPs** [rec]: a multiply-add is 2 FLOPs, the dense core and the indexer see $L^2/2$ causal pairs,
#   the sparse core $L k$ pairs — dense $2L^2D$, GSA $L^2 d_I H_I + 4LkD$.

# %%
import numpy as np
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter

import gsaplots as gp

gp.setup()
CONVENTIONS = {"o-ratio": ("O-ratio [fig][3p]", "-"), "causal": ("causal FLOPs [rec]", "--")}


def plot_model_speedups(ax, x, points, core_label, layer_label, cap_color):
    """The cost model's speedups over dense against `x` under each convention: attention core (red), whole layer
    (purple), and the core's asymptotic cap (dotted, annotated at the right edge)."""
    for conv, (label, style) in CONVENTIONS.items():
        ax.plot(x, [p["core"][conv]["speedup"] for p in points], style, color="#d62728", lw=2, label=f"{core_label}, {label}")
        ax.plot(x, [p["layer"][conv]["gsa"]["speedup_over_dense"] for p in points], style, color="#9467bd", lw=2,
                label=f"{layer_label}, {label}")
        cap = points[0]["core"][conv]["cap"]
        ax.axhline(cap, color=cap_color, ls=":", lw=1)
        ax.annotate(f"core cap as L→∞: {cap:g}× ({conv})", (x[-1], cap), ha="right", textcoords="offset points", xytext=(0, 3),
                    fontsize=9)


def tokens(x, _=None):
    """Axis labels for lengths: 512, 4K, 128K, 1M."""
    if x >= 1 << 20:
        return f"{x / (1 << 20):g}M"
    if x >= 1024:
        return f"{x / 1024:g}K"
    return f"{x:g}"


# %% [markdown]
# ## Measured against predicted: the real kernels over L
# `gsa-theory sweep` runs the float32 CPU kernels of the four variants. Left: the FLOPs the kernels *counted*
# (markers) against the closed-form cost model's *prediction* (lines), executed FLOPs of the whole layer; right: the
# median wall time. The legend gives each variant's fitted log-log exponent ± its standard error.

# %%
sweep = gp.load("sweep")
if sweep is not None:
    variants = sweep["plan"]["variants"]
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.8))
    for v in variants:
        pts = sorted((p for p in sweep["points"] if p["variant"] == v), key=lambda p: p["length"])
        Ls = np.array([p["length"] for p in pts], dtype=float)
        counted = [p["counted"]["total"]["executed"]["flops"] for p in pts]
        predicted = [p["predicted"]["total"]["executed"]["flops"] for p in pts]
        seconds = [p["seconds"]["median"] for p in pts]
        fits = sweep["fits"][v]
        fc, ft = fits["total_counted"]["log_log"], fits["time"]["log_log"]
        color = gp.VARIANT_COLORS[v]
        ax.plot(Ls, predicted, "-", color=color, lw=1.5)
        ax.plot(Ls, counted, "o", color=color, ms=7, mfc="none", mew=2,
                label=f"{v}: slope {fc['exponent']:.2f} ± {fc['standard_error']:.2f}" if fc else v)
        ax2.plot(Ls, seconds, "o-", color=color, lw=1.5,
                 label=f"{v}: slope {ft['exponent']:.2f} ± {ft['standard_error']:.2f}" if ft else v)
    ax.plot([], [], "k-", label="cost model (predicted)")
    ax.plot([], [], "ko", mfc="none", label="kernel ledger (counted)")
    for axis in (ax, ax2):
        axis.set_xscale("log", base=2)
        axis.set_yscale("log")
        axis.xaxis.set_major_formatter(FuncFormatter(tokens))
        axis.set_xlabel("sequence length L (tokens)")
        axis.legend(fontsize=8)
    ax.set_ylabel("FLOPs per layer forward (executed)")
    ax2.set_ylabel("wall time per forward, median (s)")
    ax.set_title("Counted vs predicted FLOPs")
    ax2.set_title(f"Measured time ({sweep['machine']['cores']} cores)")
    cfg = sweep["configuration"]
    fig.suptitle(f"sweep: D {cfg['d_model']}, H {cfg['heads']}, d_I {cfg['indexer_dim']}, H_I {cfg['indexer_heads']}, "
                 f"k {cfg['k_base']} ({cfg['k_rule']} rule){gp.scale_note()}")
    fig.tight_layout()
    gp.save(fig, "complexity_measured_vs_length")

# %% [markdown]
# Per-bucket exponents of the counted FLOPs (the sparse core should grow as L¹, the indexer and the dense core as L²).

# %%
if sweep is not None:
    buckets = ["projections", "gates", "indexer", "selection", "attention"]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(variants)
    for i, v in enumerate(variants):
        xs, ys, es = [], [], []
        for j, b in enumerate(buckets):
            fit = sweep["fits"][v][b]["log_log"]
            if fit:
                xs.append(j + (i - (len(variants) - 1) / 2) * width)
                ys.append(fit["exponent"])
                es.append(fit["standard_error"])
        ax.bar(xs, ys, width, yerr=es, capsize=3, color=gp.VARIANT_COLORS[v], label=v)
    for level in (1, 2):
        ax.axhline(level, color="black", ls=":", lw=1)
    ax.set_xticks(range(len(buckets)), buckets)
    ax.set_ylabel("fitted exponent of counted FLOPs in L")
    ax.set_title(f"Log-log exponents per FLOP bucket (1 = linear, 2 = quadratic){gp.scale_note()}")
    ax.set_ylim(0, 2.4)
    ax.legend(ncols=4, loc="upper center")
    gp.save(fig, "complexity_exponents")

# %% [markdown]
# ## Predicted speedup over dense attention as a function of L
# The cost model at the paper's configuration (D 4096, H 32, H_kv 8, d_h 128, H_I 4, d_I 64, k 2048),
# for the attention core alone and for the whole layer (Q/K/V/O projections, both gates, indexer projections).
# The shaded band is the abstract's reported "12–16×"; the dotted lines are each convention's asymptotic cap.

# %%
pred = gp.load("predictions_length")
if pred is not None:
    points = pred["points"]
    L = np.array([p["length"] for p in points], dtype=float)
    fig, ax = plt.subplots()
    plot_model_speedups(ax, L, points, "GSA attention core", "GSA whole layer", cap_color="#d62728")
    for conv, (label, style) in CONVENTIONS.items():
        be = points[0]["core"][conv]["break_even_length"]
        ax.axvline(be, color="grey", ls=style, lw=1)
        ax.annotate(f"break-even\n{be:,.0f} ({conv})", (be, 0.3 if conv == "o-ratio" else 0.6), textcoords="offset points",
                    xytext=(4, 0), fontsize=9)
    claim = gp.reported("speedup-128k")
    low = next((v["value"] for v in claim if v["quantity"] == "speedup low"), None)
    high = next((v["value"] for v in claim if v["quantity"] == "speedup high"), None)
    if low is not None and high is not None:
        ax.axhspan(low, high, color="gold", alpha=0.3, label=f"reported by the paper [abs]: {low:g}–{high:g}× at 128K")
    ax.axvline(pred["paper_length"], color="black", lw=0.8)
    ax.axhline(1, color="black", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(tokens))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}×"))
    ax.set_xlabel("sequence length L (tokens)")
    ax.set_ylabel("predicted speedup over dense (FLOP ratio)")
    ax.set_yticks([0.1, 0.2, 0.5, 1, 2, 5, 10, 16, 32])
    ax.set_title("Cost model at the paper's configuration: speedup of GSA over dense attention")
    ax.legend(loc="lower right")
    gp.save(fig, "complexity_speedup_vs_length")

# %% [markdown]
# ## Where the FLOPs go at 128K
# The attention-core terms of the cost model at L = 128K under each convention: the indexer term
# $L^2 d_I H_I$ is *not* smaller than $L k D$ at the paper's own configuration (inconsistency 3).

# %%
if pred is not None:
    at128 = next(p for p in points if p["length"] == pred["paper_length"])
    fig, ax = plt.subplots(figsize=(9, 4))
    labels = ["dense core", "GSA indexer", "GSA sparse core"]
    keys = ["dense", "indexer", "sparse"]
    width = 0.38
    x = np.arange(len(keys))
    for i, (conv, (label, _)) in enumerate(CONVENTIONS.items()):
        values = [at128["core"][conv][k] for k in keys]
        bars = ax.bar(x + (i - 0.5) * width, values, width, label=label, color=["#1f77b4", "#ff7f0e"][i])
        for bar, v in zip(bars, values):
            ax.annotate(f"{v:.2e}", (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, labels)
    ax.set_yscale("log")
    ax.set_ylabel("cost per layer at L = 128K (FLOPs;\nO-ratio: operation count)")
    ax.set_title("Attention-core terms at the paper's configuration, L = 131072")
    ax.legend()
    gp.save(fig, "complexity_terms_128k")

# %% [markdown]
# ## Speedup against k: the cost model vs the paper's k-ablation
# At L = 128K the model gives $1/(d_I H_I/D + k/L)$ (O-ratio) and its causal analogue; the stars are the
# speedups the reference README *reports* for k = 512 … 4096. Any reported point above a cap cannot come
# from this cost model.

# %%
predk = gp.load("predictions_k")
if predk is not None:
    kpts = predk["points"]
    k = np.array([p["k"] for p in kpts], dtype=float)
    fig, ax = plt.subplots()
    plot_model_speedups(ax, k, kpts, "model, attention core", "model, whole layer", cap_color="grey")
    ablation = gp.reported("k-ablation", "speedup")
    if ablation:
        ax.plot([v["parameter"] for v in ablation], [v["value"] for v in ablation], **gp.REPORTED_STYLE,
                label="reported by the paper [code] (k-ablation at 128K)")
        for v in ablation:
            ax.annotate(f"{v['value']:g}×", (v["parameter"], v["value"]), textcoords="offset points", xytext=(8, 2))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(tokens))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}×"))
    ax.set_xlabel("selected keys per query k")
    ax.set_ylabel("speedup over dense at L = 128K")
    ax.set_yticks([2, 3, 5, 8, 10, 12, 16, 22, 32])
    ax.set_title("Speedup vs k at L = 131072: cost model against the paper's ablation table")
    ax.legend(loc="lower left")
    gp.save(fig, "complexity_speedup_vs_k")

# %% [markdown]
# ## The 12–16× claim under each convention
# The same configuration and length, four ways of counting: which convention yields which number.

# %%
paper = gp.load("predict_paper")
if paper is not None:
    rows = []
    for conv, (label, _) in CONVENTIONS.items():
        rows.append((f"attention core\n{label}", paper["attention_core"][conv]["speedup"]))
    for conv, (label, _) in CONVENTIONS.items():
        rows.append((f"whole layer\n{label}", paper["whole_layer"]["gsa"][conv]["speedup_over_dense"]))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    bars = ax.bar([r[0] for r in rows], [r[1] for r in rows], zorder=2, color=["#d62728", "#d62728", "#9467bd", "#9467bd"],
                  label="cost model (gsa-theory predict --preset paper)")
    for bar, (_, v) in zip(bars, rows):
        ax.annotate(f"{v:.2f}×", (bar.get_x() + bar.get_width() / 2, v), ha="center", va="bottom")
    if low is not None and high is not None:
        ax.axhspan(low, high, color="gold", alpha=0.3, zorder=0, label=f"reported by the paper [abs]: {low:g}–{high:g}×")
    ax.set_ylabel("speedup over dense at L = 128K")
    ax.set_title("GSA over dense attention at the paper's configuration, L = 131072")
    ax.legend(loc="upper right")
    gp.save(fig, "complexity_claim_128k")
