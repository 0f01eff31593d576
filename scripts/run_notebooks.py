#!/usr/bin/env python3
"""Executes the gsa-theory notebooks headless and keeps each .ipynb paired with its .py.

The percent scripts Notebooks/*.py are the source; Notebooks/*.ipynb are their jupytext pairs
(kept without outputs, so they diff cleanly). For every notebook this script
  1. writes (default) or verifies (--check) the paired .ipynb,
  2. executes the notebook with nbclient in Notebooks/ (figures go to $GSA_FIGURES),
  3. saves the executed copy, outputs included, into --executed DIR.
Run it with the interpreter of the virtual environment `make docs` creates (.venv).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

NOTEBOOKS = ["complexity", "theory", "convergence", "performance"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", default="Notebooks", help="directory of the notebooks")
    parser.add_argument("--executed", required=True, help="directory for the executed copies")
    parser.add_argument("--check", action="store_true", help="fail if a .ipynb is out of sync with its .py")
    parser.add_argument("--timeout", type=int, default=900, help="per-cell timeout in seconds")
    parser.add_argument("names", nargs="*", default=NOTEBOOKS, help="notebooks to run (default: all)")
    args = parser.parse_args()
    # The kernels run in Notebooks/: make relative data/figure directories absolute first.
    for variable in ("GSA_PLOT_DATA", "GSA_FIGURES", "GSA_PERF_DATA"):
        if variable in os.environ:
            os.environ[variable] = str(Path(os.environ[variable]).resolve())
    directory = Path(args.notebooks).resolve()
    executed = Path(args.executed).resolve()
    executed.mkdir(parents=True, exist_ok=True)
    stale = []
    for name in args.names:
        source = directory / f"{name}.py"
        paired = directory / f"{name}.ipynb"
        notebook = jupytext.read(source)
        # Deterministic cell ids (nbformat would draw random ones), so the pair is byte-stable.
        for index, cell in enumerate(notebook.cells):
            cell["id"] = f"{name}-{index}"
        text = jupytext.writes(notebook, fmt="ipynb")
        if args.check:
            if not paired.exists() or paired.read_text() != text:
                stale.append(paired.name)
        else:
            if not paired.exists() or paired.read_text() != text:
                paired.write_text(text)
                print(f"updated {paired.relative_to(directory.parent)}")
        start = time.monotonic()
        run = nbformat.reads(text, as_version=4)
        client = NotebookClient(
            run, timeout=args.timeout, kernel_name="python3", resources={"metadata": {"path": str(directory)}}
        )
        client.execute()
        nbformat.write(run, executed / f"{name}.ipynb")
        print(f"executed {name} in {time.monotonic() - start:.1f} s")
    if stale:
        print(
            "error: out of sync with their .py source: " + ", ".join(stale) + "; run `make docs` (or scripts/run_notebooks.py) to re-pair",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
