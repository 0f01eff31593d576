#!/usr/bin/env python3
"""Checks docs/: every relative link and embedded figure in docs/*.md resolves.

With --figures DIR (make docs-check), also requires every figure the pages embed to have been
produced in DIR by the notebooks run on small data, so a notebook that silently stops making a
figure fails CI.
"""

import argparse
import re
import sys
from pathlib import Path

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default="docs")
    parser.add_argument("--figures", help="directory a small-data notebook run saved its figures into")
    args = parser.parse_args()
    docs = Path(args.docs)
    problems = []
    embedded = set()
    for page in sorted(docs.glob("*.md")):
        for target in LINK.findall(page.read_text()):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            if not path.exists():
                problems.append(f"{page}: broken link {target}")
            if target.startswith("figures/") and target.endswith(".png"):
                embedded.add(Path(target).name)
    if args.figures:
        produced = {p.name for p in Path(args.figures).glob("*.png")}
        for name in sorted(embedded - produced):
            problems.append(f"docs embed figures/{name}, but the notebooks did not produce it on small data")
    for problem in problems:
        print("error: " + problem, file=sys.stderr)
    if not problems:
        print(f"docs ok: {len(embedded)} embedded figures, all links resolve")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
