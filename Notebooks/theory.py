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
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(groups) + 1.6))
    for row, group in enumerate(groups):
        members = [c for c in claims["claims"] if c["group"] == group]
        for col, c in enumerate(members):
            verdict = c["verdict"] or "could not run"
            ax.barh(row, 1, left=col, color=VERDICT_COLORS[verdict], edgecolor="white")
            ax.text(col + 0.5, row, f"{c['id']}\n{c['source']}", ha="center", va="center", fontsize=7)
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
bars = []
for claim_id, numerator, denominator, label in BOUND_RATIOS:
    ev = evidence(claim_id)
    if numerator in ev and (denominator is None or denominator in ev):
        bars.append((f"{label}\n[{claim_id}]", ev[numerator] / (ev[denominator] if denominator else 1.0)))
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
