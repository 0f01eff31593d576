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
# # Convergence and stability: the smoothness bound, gradient descent, Adam training
#
# Data: `convergence_runs` (gradient descent on `check-convergence`'s synthetic regression task, one small
# layer per variant, **S_t held fixed within a step**) and `stability` (`gsa-theory simulate stability`:
# Adam on small synthetic tasks, several seeds). Both are small-scale simulations, not the paper's 1.7B run;
# the paper's own numbers (from `paper_reference`) are shown as *reported* markers only.

# %%
import numpy as np
import matplotlib.pyplot as plt

import gsaplots as gp

gp.setup()
VARIANTS = ["dense", "sparse-only", "gated-only", "gsa"]
runs = gp.load("convergence_runs")
stability = gp.load("stability")

# %% [markdown]
# ## The smoothness bound β against observed gradient-difference ratios
# β is computed from weight spectral norms, input/target norm bounds and σ ≤ 1, σ' ≤ 1/4; the dots are
# ‖∇ℒ(θ) − ∇ℒ(θ')‖/‖θ − θ'‖ at GSL-sampled nearby points (and a power-iteration estimate of ‖∇²ℒ‖).
# The bound holds when every dot lies below its bar.

# %%
if runs is not None:
    fig, ax = plt.subplots()
    x = np.arange(len(VARIANTS))
    betas = [runs["variants"][v]["beta"] for v in VARIANTS]
    ax.bar(x, betas, 0.6, color=[gp.VARIANT_COLORS[v] for v in VARIANTS], alpha=0.35, label="bound β (fixed S_t) [rec]")
    for i, v in enumerate(VARIANTS):
        probe = runs["variants"][v]["probe"]
        ratios = [s["ratio"] for s in probe["samples"]]
        jitter = np.linspace(-0.18, 0.18, len(ratios))
        ax.plot(x[i] + jitter, ratios, "o", color=gp.VARIANT_COLORS[v], ms=5,
                label="sampled gradient-difference ratio" if i == 0 else None)
        ax.plot(x[i], probe["power_iteration_ratio"], "D", color="black", ms=6,
                label="power-iteration estimate of ‖∇²ℒ‖" if i == 0 else None)
        ax.annotate(f"max ratio/β = {probe['max_tightness']:.2g}", (x[i], betas[i]), ha="center", textcoords="offset points",
                    xytext=(0, 4), fontsize=9)
    ax.set_xticks(x, VARIANTS)
    ax.set_yscale("log")
    ax.set_ylabel("gradient Lipschitz constant (1/parameter-norm units)")
    ax.set_title(f"Smoothness bound vs observed ratios, one layer, D = 8{gp.scale_note()}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=3)
    gp.save(fig, "convergence_smoothness")

# %% [markdown]
# ## Gradient descent at the theorem's step 1/β and beyond
# Full-batch gradient descent from the same initialisation at η = m/β. The theorem guarantees monotone
# decrease for m ≤ 1; the bound's slack shows in how far beyond 1/β the loss still decreases.

# %%
if runs is not None:
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    multiples = runs["step_multiples"]
    cmap = plt.get_cmap("viridis")
    for ax, v in zip(axes.flat, VARIANTS):
        for j, r in enumerate(runs["variants"][v]["runs"]):
            losses = np.array(r["losses"], dtype=float)
            label = f"η = {r['step_multiple']:g}/β" + ("" if r["monotone"] else " (not monotone)")
            ax.plot(np.arange(len(losses)), losses, color=cmap(j / max(len(multiples) - 1, 1)), lw=1.8, label=label)
        ax.set_yscale("log")
        ax.set_title(f"{v}: β = {runs['variants'][v]['beta']:.3g}")
        ax.set_ylabel("training loss (mean squared error)")
        ax.legend(fontsize=8)
    for ax in axes[1]:
        ax.set_xlabel("gradient-descent step")
    fig.suptitle(f"Loss curves at multiples of the descent-lemma step 1/β (S_t fixed within a step){gp.scale_note()}")
    fig.tight_layout()
    gp.save(fig, "convergence_loss_curves")


# %% [markdown]
# ## Maximum stable learning rate per variant (Adam)
# Bisection in log η for the largest rate whose run neither diverges nor spikes; bars are the mean over seeds,
# whiskers the standard deviation, dots the individual seeds. Right: the ratio to dense, against the paper's
# reported 2× (4e-3 → 8e-3, protocol undefined).

# %%
def stat(v, key):
    return stability["variants"][v][key]


if stability is not None:
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    x = np.arange(len(VARIANTS))
    means = [stat(v, "max_stable_lr")["mean"] for v in VARIANTS]
    stds = [stat(v, "max_stable_lr")["std"] for v in VARIANTS]
    ax.bar(x, means, 0.6, yerr=stds, capsize=4, color=[gp.VARIANT_COLORS[v] for v in VARIANTS], alpha=0.8,
           label="measured, mean ± std over seeds")
    for i, v in enumerate(VARIANTS):
        seeds = [s["max_stable_lr"] for s in stat(v, "per_seed")]
        ax.plot(np.full(len(seeds), x[i]) + np.linspace(-0.12, 0.12, len(seeds)), seeds, "k.", ms=7,
                label="individual seeds" if i == 0 else None)
    ax.set_xticks(x, VARIANTS)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("max stable learning rate (Adam)")
    ax.set_title("Measured on the synthetic task")
    ax.legend(loc="upper left", fontsize=8)
    ratios = [m / means[0] for m in means]
    ax2.bar(x, ratios, 0.6, color=[gp.VARIANT_COLORS[v] for v in VARIANTS], alpha=0.8, label="measured ratio to dense")
    paper = {r["row"]: r["value"] for r in gp.reported("stability", "max stable lr")}
    if "dense" in paper and "gsa" in paper:
        ax2.plot([x[3]], [paper["gsa"] / paper["dense"]], **gp.REPORTED_STYLE,
                 label=f"reported by the paper [code]: {paper['dense']:g} → {paper['gsa']:g}")
    ax2.axhline(1, color="black", lw=0.8)
    ax2.set_xticks(x, VARIANTS, rotation=20)
    # Head room above the tallest bar or star, so the legend never covers the reported value.
    ax2.set_ylim(0, 1.45 * max(ratios + [paper["gsa"] / paper["dense"]] if "dense" in paper and "gsa" in paper else ratios))
    ax2.set_ylabel("max stable lr / dense (ratio)")
    ax2.set_title("Relative to dense")
    ax2.legend(loc="upper left", fontsize=8)
    fig.suptitle(f"Maximum stable learning rate per variant{gp.scale_note()}")
    fig.tight_layout()
    gp.save(fig, "convergence_max_stable_lr")

# %% [markdown]
# ## Attention sink: share of attention on the first token
# On a task where some queries must output nothing, ungated attention can only output ≈ 0 by parking its
# mass on a near-zero-value token; a gate can switch the output off instead. Stars: the paper's reported
# 46.7% (baseline) and 3.9% (GSA).

# %%
if stability is not None:
    fig, ax = plt.subplots()
    width = 0.38
    for j, (key, label) in enumerate([("first_token_share_null_queries", "null queries (must output 0)"),
                                      ("first_token_share_all_queries", "all queries")]):
        means = [100 * stat(v, key)["mean"] for v in VARIANTS]
        stds = [100 * stat(v, key)["std"] for v in VARIANTS]
        ax.bar(x + (j - 0.5) * width, means, width, yerr=stds, capsize=4, label=f"measured, {label}",
               color=[gp.VARIANT_COLORS[v] for v in VARIANTS], alpha=0.9 if j == 0 else 0.45,
               edgecolor="black", hatch="" if j == 0 else "//")
    sink = {r["row"]: r["value"] for r in gp.reported("attention-sink")}
    positions = {"dense": 0, "gsa": 3}
    reported_x = [positions[r] for r in sink if r in positions]
    reported_y = [sink[r] for r in sink if r in positions]
    if reported_x:
        ax.plot(reported_x, reported_y, **gp.REPORTED_STYLE, label="reported by the paper [code] (1.7B model)")
    ax.set_xticks(x, VARIANTS)
    ax.set_ylabel("attention on the first token (%)")
    ax.set_title(f"Attention sink: first-token share, mean ± std over seeds{gp.scale_note()}")
    ax.legend()
    gp.save(fig, "convergence_sink")

# %% [markdown]
# ## Loss spikes and the largest activation at a shared learning rate

# %%
if stability is not None:
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.2))
    for axis, key, ylabel in [(ax, "spikes_per_1000", "loss spikes per 1000 steps"),
                              (ax2, "max_activation", "largest |u| over the run (layer-output units)")]:
        means = [stat(v, key)["mean"] for v in VARIANTS]
        stds = [stat(v, key)["std"] for v in VARIANTS]
        axis.bar(x, means, 0.6, yerr=stds, capsize=4, color=[gp.VARIANT_COLORS[v] for v in VARIANTS],
                 label=f"measured at lr {stability['settings']['shared_lr']:g}, mean ± std")
        axis.set_xticks(x, VARIANTS, rotation=15)
        axis.set_ylabel(ylabel)
        axis.legend(fontsize=8)
    fig.suptitle(f"Adam at the shared learning rate {stability['settings']['shared_lr']:g}: loss spikes and the largest activation"
                 f"{gp.scale_note()}")
    import textwrap
    fig.text(0.01, -0.06, "\n".join(textwrap.wrap("Spike: " + stability["definitions"]["spike"], 150)), fontsize=8, va="top")
    fig.tight_layout()
    gp.save(fig, "convergence_spikes_activations")
