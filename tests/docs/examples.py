#!/usr/bin/env python3
"""The docs' example outputs against what vzlvs prints now (issue 23: they drifted).

usage: examples.py [--update] TRANSCRIPT_DIR DOC...

Each example the docs take from scripts/demo is a fenced block right after a marker line
`<!-- demo: LABEL -->`: the command line (`$ ...`), then its output. scripts/demo with
DEMO_TRANSCRIPT=TRANSCRIPT_DIR saves each command's output as LABEL.txt. Without --update,
every block must equal its transcript (a TAP line each; exit 1 on a difference, with a diff);
with --update, the blocks are rewritten from the transcripts.
"""
import difflib
import pathlib
import re
import sys

MARKER = re.compile(r"^<!-- demo: ([a-z0-9-]+) -->$")


def blocks(lines):
    """(label, first output line index, end index) of each marked block."""
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if not m:
            continue
        if i + 2 >= len(lines) or lines[i + 1] != "```" or not lines[i + 2].startswith("$ "):
            raise SystemExit(f"marker `{line}` must be followed by ``` and a `$ command` line")
        end = lines.index("```", i + 3)
        yield m.group(1), i + 3, end


def main():
    args = sys.argv[1:]
    update = bool(args) and args[0] == "--update"
    if update:
        args = args[1:]
    transcripts = pathlib.Path(args[0])
    n = failed = 0
    for doc in map(pathlib.Path, args[1:]):
        lines = doc.read_text().split("\n")
        edits = []
        for label, start, end in blocks(lines):
            n += 1
            want = (transcripts / f"{label}.txt").read_text().rstrip("\n").split("\n")
            have = lines[start:end]
            if have == want:
                print(f"ok {n} - {doc.name}: {label}")
                continue
            if update:
                edits.append((start, end, want))
                print(f"ok {n} - {doc.name}: {label} # updated")
                continue
            failed += 1
            print(f"not ok {n} - {doc.name}: {label} differs from what vzlvs prints now")
            for d in difflib.unified_diff(have, want, "docs", "vzlvs", lineterm="", n=1):
                print("#   " + d)
        for start, end, want in reversed(edits):
            lines[start:end] = want
        if edits:
            doc.write_text("\n".join(lines))
    print(f"{n - failed} passed, {failed} failed")
    return 1 if failed or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
