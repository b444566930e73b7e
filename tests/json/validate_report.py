#!/usr/bin/env python3
"""Validates vzlvs --json reports against docs/report.schema.json (JSON Schema 2020-12).

    validate_report.py SCHEMA REPORT_FILE...

The schema itself is checked against the 2020-12 metaschema first. Every error of every report
is printed on stderr as FILE: PATH: MESSAGE. Exit: 0 all valid; 1 a report is invalid; 2 usage,
an unreadable or unparsable file, an invalid schema, or no jsonschema module (Debian:
python3-jsonschema, installed by scripts/install-deps).
"""
import json
import sys


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: cannot load: {e}", file=sys.stderr)
        sys.exit(2)


def where(error):
    return "/" + "/".join(str(p) for p in error.absolute_path)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError
    except ImportError as e:
        print(f"jsonschema is missing ({e}): apt-get install python3-jsonschema", file=sys.stderr)
        return 2

    schema_path, reports = argv[1], argv[2:]
    schema = load(schema_path)
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as e:
        print(f"{schema_path}: not a valid 2020-12 schema: {e.message}", file=sys.stderr)
        return 2
    validator = Draft202012Validator(schema)

    invalid = 0
    for path in reports:
        errors = sorted(validator.iter_errors(load(path)), key=lambda e: list(e.absolute_path))
        for e in errors:
            print(f"{path}: {where(e)}: {e.message}", file=sys.stderr)
        if errors:
            invalid += 1
        else:
            print(f"{path}: valid")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
