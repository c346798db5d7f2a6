"""``python -m sensor_hub.grafana [--check] [DIR]``: write (or check) the generated files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sensor_hub.grafana import generated_files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sensor_hub.grafana", description=__doc__)
    parser.add_argument("dir", nargs="?", type=Path, default=Path("dashboards/grafana"))
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a diff")
    args = parser.parse_args(argv)
    stale = []
    for name, text in generated_files().items():
        path = args.dir / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(str(path))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "differ from the generator" if args.check else "written"
    for path in stale:
        sys.stdout.write(f"{path}: {verb}\n")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
