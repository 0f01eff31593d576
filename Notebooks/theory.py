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
# # Theory: verdicts, bounds, expressiveness, adaptive k
#
# Every number comes from `gsa-theory check` (the `claims` dataset of `plot-data`): each claim's
# verdict and the named evidence its independent computation produced (counted operations, GSL
# integration, Monte Carlo, finite differences, least squares). Nothing here re-derives a result.

# %%
import numpy as np
import matplotlib.pyplot as plt

import gsaplots as gp

gp.setup()
VERDICT_COLORS = {
    "holds": "#2ca02c",
    "holds-with-correction": "#bcbd22",
    "refuted": "#d62728",
    "inconclusive": "#7f7f7f",
    "could not run": "black",
}
claims = gp.load("claims")


def evidence(claim_id):
    """The evidence of claim `claim_id` as {name: value}, or {} when the claim is absent."""
    if claims is None:
        return {}
    claim = next((c for c in claims["claims"] if c["id"] == claim_id), None)
    return {} if claim is None else {e["name"]: e["value"] for e in claim["evidence"]}


# %% [markdown]
# ## Verdicts by group
# One bar segment per claim, coloured by its verdict; the label is the claim id and its source tag.

# %%
if claims is not None:
    groups = []
    for c in claims["claims"]:
        if c["group"] not in groups:
            groups.append(c["group"])
    fig, ax = plt.subplots(figsize=(12, 0.7 * len(groups) + 1.6))
    for row, group in enumerate(groups):
        members = [c for c in claims["claims"] if c["group"] == group]
        for col, c in enumerate(members):
            verdict = c["verdict"] or "could not run"
            ax.barh(row, 1, left=col, color=VERDICT_COLORS[verdict], edgecolor="white")
            head, _, tail = c["id"].partition("-")
            ax.text(col + 0.5, row, f"{head}-\n{tail}\n{c['source']}", ha="center", va="center", fontsize=7.5)
    ax.set_yticks(range(len(groups)), groups)
    ax.invert_yaxis()
    ax.set_xlabel("claims in the group (count)")
    ax.grid(False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=col) for col in VERDICT_COLORS.values()]
    ax.legend(handles, VERDICT_COLORS.keys(), ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.18 if len(groups) > 3 else -0.35))
    counts = ", ".join(f"{k} {v}" for k, v in claims["counts"].items())
    ax.set_title(f"gsa-theory check: {len(claims['claims'])} claims ({counts}){gp.scale_note()}")
    gp.save(fig, "theory_verdicts")

# %% [markdown]
# ## Bounds: how close the measured quantity comes to the claimed bound
# Each bar is a measured maximum divided by the bound the paper (or its reconstruction) states; a bar at 1
# means the bound is attained, below 1 that it holds with slack, above 1 that it is violated.

# %%
BOUND_RATIOS = [
    ("BD-indexer-range", "sigmoid max I", "claimed upper bound", "max I / H_I (sigmoid)"),
    ("BD-indexer-variance", "adversarial max variance (c = 8)", "H_I²/4", "max Var(I) / (H_I²/4), adversarial"),
    ("BD-indexer-variance", "max sampled row variance", "H_I²/4", "max Var(I) / (H_I²/4), sampled at init"),
    ("BD-gate-slope", "max finite-difference slope", "claimed bound", "max σ'(x) / (1/4)"),
    ("BD-gate-contraction", "max ‖O^g‖/‖O‖ (sampled)", None, "‖O^g‖ / ‖O‖ (sampled)"),
    ("BD-gate-contraction", "‖O‖/max‖V'‖, constructed two-head sequence", None, "‖O‖ / max‖V'‖ (constructed, H = 2)"),
    ("BD-layer-lipschitz", "max observed/bound", None, "finite-difference Jacobian / Lipschitz bound"),
]
bars, missing = [], []
for claim_id, numerator, denominator, label in BOUND_RATIOS:
    ev = evidence(claim_id)
    if numerator in ev and (denominator is None or denominator in ev):
        bars.append((f"{label}\n[{claim_id}]", ev[numerator] / (ev[denominator] if denominator else 1.0)))
    else:
        missing.append(f"{claim_id}: {numerator}")
if claims is not None:
    gp.report_missing("theory_bounds", missing)
if bars:
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(bars) + 1.5))
    values = [b[1] for b in bars]
    colors = ["#d62728" if v > 1 + 1e-9 else "#2ca02c" for v in values]
    ax.barh([b[0] for b in bars], values, color=colors)
    for i, v in enumerate(values):
        ax.annotate(f"{v:.3g}", (v, i), textcoords="offset points", xytext=(4, -3), fontsize=9)
    ax.axvline(1, color="black", ls="--", lw=1, label="claimed bound (ratio 1)")
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("measured / claimed bound (log scale, dimensionless)")
    ax.set_title(f"Bounds of GSA-THEORY.md §4, measured against their claims{gp.scale_note()}")
    ax.legend(handles=[plt.Line2D([], [], color="black", ls="--"), plt.Rectangle((0, 0), 1, 1, color="#2ca02c"),
                       plt.Rectangle((0, 0), 1, 1, color="#d62728")],
              labels=["claimed bound (ratio 1)", "within the bound", "exceeds the bound"], loc="lower right")
    gp.save(fig, "theory_bounds")

# %% [markdown]
# ## The adaptive-k rules side by side
# Left: the budget each rule gives as a function of the query's relative indexer variance Var_t/V̄, at the
# paper's budgets (k_base 2048, k_min 256, k_max 4096), from the library's `adaptiveBudget`. The figure's rule
# grows with variance, the code's shrinks, and the prose says "high variance = fewer tokens" (inconsistency 1);
# the code's rule spans only [0.5, 1.5]·k_base. Right: the budgets the real GSA layer chose per query on random
# input, each rule with its own variance convention.

# %%
ak = gp.load("adaptive_k")
RULE_COLORS = {"figure": "#1f77b4", "code": "#d62728", "fixed": "#7f7f7f"}
RULE_LABELS = {"figure": "figure rule [fig]: k_base·Var_t/V̄, clamped", "code": "code rule [code]: k_base·(0.5 + 1/(1 + Var_t/V̄))",
               "fixed": "fixed: k_base"}
if ak is not None:
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.6))
    rel = [c["relative_variance"] for c in ak["curves"]]
    for rule in ("figure", "code", "fixed"):
        ax.plot(rel, [c[rule] for c in ak["curves"]], lw=2.2, color=RULE_COLORS[rule], label=RULE_LABELS[rule])
    budgets = ak["paper_budgets"]
    for key, style in (("k_min", ":"), ("k_max", ":")):
        ax.axhline(budgets[key], color="black", ls=style, lw=1)
        ax.annotate(f"{key} = {budgets[key]}", (rel[0], budgets[key]), textcoords="offset points", xytext=(2, 3), fontsize=9)
    ax.set_xscale("log")
    ax.set_xlabel("relative indexer variance Var_t / V̄ (dimensionless)")
    ax.set_ylabel("budget k_t (selected keys per query)")
    ax.set_title("The rules at the paper's budgets")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    measured = ak["measured"]
    for rule, series in measured["rules"].items():
        ax2.plot(series["variance"], series["k"], ".", ms=3, color=RULE_COLORS[rule], label=f"{rule} rule")
    ax2.set_xscale("log")
    ax2.set_xlabel("Var_t of the query's indexer row (each rule's convention)")
    ax2.set_ylabel("budget k_t chosen by the layer")
    cfg = measured["configuration"]
    ax2.set_title(f"Real GSA layer, D {cfg['d_model']}, k_base {cfg['k_base']}, L {measured['length']}")
    ax2.legend(markerscale=4)
    fig.suptitle(f"Adaptive top-k: figure vs code vs fixed rule{gp.scale_note()}")
    fig.tight_layout()
    gp.save(fig, "theory_adaptive_k")

# %% [markdown]
# ## Expressiveness witnesses
# From the EX-* checks' evidence. Left (EX-dense-limit): the distance between GSA with k ≥ L, gate weights 0 and
# gate bias b and dense ungated attention, relative to ‖O‖, against the stated bound (1 − σ(b)): the measured error
# is about twice the bound. Middle (EX-strict): the best linear fit (GSL least squares) of the layer's output
# over constant sequences — exact for ungated attention, not for gated attention. Right (EX-null-output): the
# attention mass ungated attention must put on a zero-value token to bring its output down to 10% and 1%.

# %%
dense_limit = evidence("EX-dense-limit")
strict = evidence("EX-strict")
null = evidence("EX-null-output")
if dense_limit or strict or null:
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1.3, 1, 1]})
    ax = axes[0]
    bs, errors, bounds = [], [], []
    for name, value in dense_limit.items():
        if name.startswith("b = ") and name.endswith(": error/‖O‖"):
            b = float(name[4:].split(":")[0])
            ratio = dense_limit.get(f"b = {b:g}: error/((1 − σ(b))‖O‖)")
            if ratio and value > 0:
                bs.append(b)
                errors.append(value)
                bounds.append(value / ratio)
    if bs:
        ax.semilogy(bs, errors, "o-", color="#d62728", label="measured ‖GSA − dense‖ / ‖O‖")
        ax.semilogy(bs, bounds, "s--", color="black", mfc="none", label="stated bound 1 − σ(b)")
        ax.set_xlabel("gate bias b")
        ax.set_ylabel("relative error (dimensionless)")
        ax.set_title("EX-dense-limit")
        ax.legend(fontsize=8)
    ax = axes[1]
    labels = [("relative residual, ungated", "ungated"), ("relative residual, GSA at reference init", "GSA\ninit"),
              ("relative residual, GSA with gate gain 1", "GSA\ngain 1"), ("relative residual, scalar x·σ(x)", "scalar\nx·σ(x)")]
    present = [(short, strict[k]) for k, short in labels if k in strict]
    gp.report_missing("theory_expressiveness", [f"EX-strict: {k}" for k, _ in labels if k not in strict])
    if present:
        ax.bar([p[0] for p in present], [p[1] for p in present], color=["#1f77b4", "#d62728", "#d62728", "#9467bd"][: len(present)],
               label="relative residual of the best linear fit")
        for i, (_, v) in enumerate(present):
            ax.annotate(f"{v:.3g}", (i, v), ha="center", va="bottom", fontsize=9)
        ax.set_ylabel("relative residual (dimensionless)")
        ax.set_title("EX-strict: best linear fit")
        ax.set_ylim(0, 1.25 * max(p[1] for p in present))
        ax.legend(fontsize=8, loc="upper left")
    ax = axes[2]
    masses = [("sink mass for ‖u‖ ≤ 10%", "‖u‖ ≤ 10%"), ("sink mass for ‖u‖ ≤ 1%", "‖u‖ ≤ 1%")]
    present = [(short, 100 * null[k]) for k, short in masses if k in null]
    gp.report_missing("theory_expressiveness", [f"EX-null-output: {k}" for k, _ in masses if k not in null])
    if present:
        ax.bar([p[0] for p in present], [p[1] for p in present], color="#1f77b4", label="ungated: mass needed on the sink")
        for i, (_, v) in enumerate(present):
            ax.annotate(f"{v:.0f}%", (i, v), ha="center", va="bottom", fontsize=9)
        ax.set_ylim(0, 110)
        ax.set_ylabel("mass on the zero-value token (%)")
        ax.set_title("EX-null-output")
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Expressiveness witnesses (gsa-theory check expressiveness){gp.scale_note()}")
    fig.tight_layout()
    gp.save(fig, "theory_expressiveness")
