"""`python -m bench [--quick] [--postgres URL|off] [--out FILE]`: run, print, write JSON."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from .report import check, render
from .run import FULL, QUICK, run, run_postgres

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    """Run the bench; exit 0 whether or not targets pass (the table says which)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a small run (under a minute)")
    parser.add_argument(
        "--postgres",
        default=None,
        help="PostgreSQL URL (default $BENCH_DATABASE_URL or the local `bench` database); "
        "'off' to skip",
    )
    parser.add_argument("--out", type=Path, default=None, help="where to write the JSON")
    parser.add_argument(
        "--log-level",
        default="info",
        help="both servers' log level (default info, as `bridge serve`; 'warning' is quiet)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    parser.add_argument(
        "--only",
        choices=["postgres"],
        default=None,
        help="postgres: only the PostgreSQL round trips and items.list vs bare psycopg "
        "(writes results/postgres.json)",
    )
    args = parser.parse_args(argv)

    plan = replace(QUICK if args.quick else FULL, log_level=args.log_level)
    if args.only == "postgres":
        doc = run_postgres(plan, pg_url=args.postgres, keep=args.keep)
        doc["targets"] = check(doc)
        print(render(doc))
        out = args.out or RESULTS / "postgres.json"
        out.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {out}", file=sys.stderr)
        return 0
    doc = run(plan, quick=args.quick, pg_url=args.postgres, keep=args.keep)
    doc["targets"] = check(doc)
    table = render(doc)
    print(table)
    out = args.out or RESULTS / ("quick.json" if args.quick else "latest.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, indent=2) + "\n"
    out.write_text(text)
    if args.out is None and not args.quick:
        stamp = doc["created"].replace(":", "").replace("-", "")[:15]
        (RESULTS / f"{stamp}.json").write_text(text)
        (RESULTS / "latest.md").write_text(table)
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
