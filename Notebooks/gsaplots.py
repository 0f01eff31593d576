"""Shared helpers for the gsa-theory notebooks: load the CLI's datasets, style, save figures.

Every number plotted comes from a JSON file written by `gsa-theory plot-data --out DIR`.
The notebooks never type computed results; the paper's own reported numbers come from the
`paper_reference` dataset and are always labelled "reported" in legends.

Environment:
  GSA_PLOT_DATA  directory written by plot-data   (default: ../out/plot-data)
  GSA_FIGURES    directory the PNGs are saved into (default: ../docs/figures)
  GSA_PERF_DATA  the JSON `gsa-bench --json` writes (default: ../docs/data/performance.json)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SCHEMA_VERSION = 1  # gsa-theory plot-data
PERFORMANCE_SCHEMA_VERSION = 2  # gsa-bench --json (PerformanceJSON.schemaVersion)
_HERE = Path(__file__).resolve().parent

# Colours per variant, shared by every figure so a variant looks the same everywhere.
VARIANT_COLORS = {
    "dense": "#1f77b4",
    "sparse-only": "#ff7f0e",
    "gated-only": "#2ca02c",
    "gsa": "#d62728",
}
REPORTED_STYLE = dict(color="black", marker="*", markersize=13, linestyle="none", zorder=5)


def data_dir() -> Path:
    return Path(os.environ.get("GSA_PLOT_DATA", _HERE.parent / "out" / "plot-data")).resolve()


def figures_dir() -> Path:
    path = Path(os.environ.get("GSA_FIGURES", _HERE.parent / "docs" / "figures")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def performance_data() -> dict | None:
    """The benchmark document `gsa-bench --json FILE` writes (`make bench`: docs/data/performance.json), or None
    (with a printed reason; an error under GSA_STRICT=1) when the benchmark has not been run yet."""
    path = Path(os.environ.get("GSA_PERF_DATA", _HERE.parent / "docs" / "data" / "performance.json")).resolve()
    if not path.exists():
        message = f"{path} is missing: run `make bench` (or gsa-bench --json {path}) first; the figures are skipped."
        if os.environ.get("GSA_STRICT") == "1":
            raise FileNotFoundError(message)
        print(message)
        return None
    return _check_schema(json.loads(path.read_text()), path, PERFORMANCE_SCHEMA_VERSION)


def manifest() -> dict:
    path = data_dir() / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `gsa-theory plot-data --out {data_dir()}` first (or `make docs`)")
    return _check_schema(json.loads(path.read_text()), path)


def _check_schema(document: dict, path: Path, expected: int = SCHEMA_VERSION) -> dict:
    version = document.get("schema_version")
    if version != expected:
        raise ValueError(f"{path}: schema_version {version!r}, these notebooks read {expected}")
    return document


def load(name: str):
    """The `data` of dataset `name`, or None (with a printed reason) when the build could not produce it."""
    entry = next((d for d in manifest()["datasets"] if d["name"] == name), None)
    if entry is None or entry["status"] != "ok":
        reason = "not listed in the manifest" if entry is None else f"{entry['status']}: {entry['detail']}"
        print(f"[{name}] dataset unavailable ({reason}); its figures are skipped.")
        return None
    path = data_dir() / entry["file"]
    envelope = _check_schema(json.loads(path.read_text()), path)
    return envelope["data"]


def envelope(name: str) -> dict | None:
    """The whole file of dataset `name` (with scale, seed and command), or None."""
    entry = next((d for d in manifest()["datasets"] if d["name"] == name), None)
    if entry is None or entry["status"] != "ok":
        return None
    return json.loads((data_dir() / entry["file"]).read_text())


def reported(table: str, quantity: str | None = None) -> list[dict]:
    """The paper's reported values of `table` (from the paper_reference dataset)."""
    data = load("paper_reference")
    if data is None:
        return []
    return [v for v in data["values"] if v["table"] == table and (quantity is None or v["quantity"] == quantity)]


def setup() -> None:
    """Matplotlib defaults readable at page width (figures are 9 in wide at 110 dpi ≈ 1000 px)."""
    plt.rcParams.update(
        {
            "figure.figsize": (9, 5),
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.fontsize": 9,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "gsa-theory",
        }
    )


def save(fig, name: str) -> Path:
    """Saves `fig` as figures_dir()/name.png with deterministic metadata (no software/date stamp)."""
    path = figures_dir() / f"{name}.png"
    fig.savefig(path, format="png", dpi=110, bbox_inches="tight", pad_inches=0.15, metadata={"Software": None})
    plt.close(fig)
    print(f"saved {path.name}")
    return path


def scale_note() -> str:
    """'(small scale)' when the data was produced with plot-data --small, for figure titles."""
    try:
        return " (small CI scale)" if manifest().get("scale") == "small" else ""
    except FileNotFoundError:
        return ""


def report_missing(figure: str, missing: list[str]) -> None:
    """Names of evidence items a figure expected but the data lacks: printed, and an error under GSA_STRICT=1
    (make docs-check), so a renamed evidence item cannot silently drop a bar."""
    if not missing:
        return
    message = f"[{figure}] missing in the data: " + ", ".join(missing)
    if os.environ.get("GSA_STRICT") == "1":
        raise KeyError(message)
    print(message)
