"""python -m e2e.har FILE.har [--scrubbed OUT.har] [--secret VALUE ...]

Prints the hops of the sign-in in the HAR and the first that breaks a protocol rule or ends in an error; with
--scrubbed, writes a copy without any value that grants access. Exit code: 0 when no rule is broken, 1 when a
break is named, 2 when the file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from e2e.har.doctor import diagnose
from e2e.har.reader import HarError, load_har
from e2e.har.scrub import scrub_har
from e2e.support.artifacts.scrub import Scrubber


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m e2e.har", description=__doc__.split("\n\n")[1])
    parser.add_argument("har", type=Path, help="a HAR exported by Chrome, Firefox or Playwright")
    parser.add_argument("--scrubbed", type=Path, metavar="OUT.har", help="write a copy safe to share here")
    parser.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="VALUE",
        help="a value to remove from the copy wherever it appears (e.g. the password you typed); repeatable",
    )
    args = parser.parse_args(argv)
    try:
        har = load_har(args.har)
    except HarError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.scrubbed is not None and args.scrubbed.resolve() == args.har.resolve():
        print("error: --scrubbed must name another file than the HAR read", file=sys.stderr)
        return 2
    diagnosis = diagnose(har)
    # The scrub finds every value that grants access (cookie values, codes, tokens): they are kept out of the copy
    # and out of what is printed (an interaction id in a URL path is a cookie's value).
    copy, found = scrub_har(har.data, set(args.secret))
    print(Scrubber(found).text(diagnosis.render()))
    if args.scrubbed is not None:
        # Readable again by the doctor: the copy diagnoses the same (codes and cookie values become <redacted>).
        args.scrubbed.write_text(json.dumps(copy, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"scrubbed copy: {args.scrubbed} ({len(found)} distinct values removed)")
    return 1 if diagnosis.first is not None else 0


if __name__ == "__main__":
    sys.exit(main())
