#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""validate.py - the --json contract's checker (issue 14), run by test_json_contract.

  validate.py documents SCHEMA_DIR DOC_DIR MANIFEST
      every document named in MANIFEST ("FILE SCHEMA LINE STATUS") is one JSON
      document valid against SCHEMA_DIR/SCHEMA.schema.json; every schema has
      at least one failure document (with error.code) and one success.
  validate.py schemas SCHEMA_DIR HELP_TEXT
      every command of 'rgs-enroll --help' has its schema; every schema is a
      valid draft 2020-12 schema, and every object it describes requires keys.

Uses python3-jsonschema as Debian 12 ships it (4.10): Draft202012Validator
and a RefResolver whose store holds every schema of the directory.
"""
import json
import os
import re
import sys
import warnings

import jsonschema

warnings.simplefilter("ignore", DeprecationWarning)

# Commands whose success needs more than this test sets up (a CA that
# issues, a second token with an AED certificate, a desktop); their
# failures are validated, and their successes are validated by the tests
# named here, which run them with --json.
SUCCESS_ELSEWHERE = {
    "renew": "needs an EST server and an issued certificate (tests/est)",
    "watch": "needs a token event (tests/udev)",
    "install": "needs a certificate issued for the key (tests/install)",
    "f2f": "needs an AED token and its certificate (tests/f2f)",
}


def load_schemas(schema_dir):
    store = {}
    by_name = {}
    for name in sorted(os.listdir(schema_dir)):
        if not name.endswith(".schema.json"):
            continue
        with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        store[schema["$id"]] = schema
        by_name[name[: -len(".schema.json")]] = schema
    return store, by_name


def validator(schema, store):
    resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def documents(schema_dir, doc_dir, manifest):
    store, by_name = load_schemas(schema_dir)
    failures = 0
    seen_ok, seen_err = set(), set()
    with open(manifest, encoding="utf-8") as f:
        rows = [line.split() for line in f if line.strip()]
    for doc_file, schema_name, line, status in rows:
        where = "cases.txt:%s (%s)" % (line, schema_name)
        with open(os.path.join(doc_dir, doc_file), encoding="utf-8") as f:
            text = f.read()
        try:
            doc = json.loads(text)
        except ValueError as e:
            print("%s: not one JSON document: %s\n%s" % (where, e, text[:400]))
            failures += 1
            continue
        if schema_name not in by_name:
            print("%s: no schema %s.schema.json" % (where, schema_name))
            failures += 1
            continue
        errors = sorted(validator(by_name[schema_name], store).iter_errors(doc),
                        key=lambda e: list(e.path))
        for e in errors:
            print("%s: %s at /%s" % (where, e.message[:300],
                                      "/".join(str(p) for p in e.absolute_path)))
        failures += len(errors)
        if isinstance(doc, dict) and "error" in doc:
            seen_err.add(schema_name)
            if status == "0":
                print("%s: an error document with exit 0" % where)
                failures += 1
        elif status == "0" or doc.get("ok") is not None:
            seen_ok.add(schema_name)
    for name in sorted(by_name):
        if name.startswith("_"):
            continue
        if name not in seen_err:
            print("%s: no failure document validated" % name)
            failures += 1
        if name not in seen_ok and name not in SUCCESS_ELSEWHERE:
            print("%s: no success document validated" % name)
            failures += 1
    print("%d documents, %d schemas, %d problems" % (len(rows), len(by_name), failures))
    return 1 if failures else 0


def walk(node, path, problems):
    """Objects with properties must require some of them: a schema that
    allows anything protects no client."""
    if isinstance(node, dict):
        if "properties" in node and not node.get("required") and path.split("/")[-1] != "if":
            problems.append("%s: properties without required" % path)
        if node.get("additionalProperties") is True and "properties" not in node:
            problems.append("%s: an object that allows anything" % path)
        for k, v in node.items():
            walk(v, path + "/" + k, problems)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, "%s/%d" % (path, i), problems)


def schemas(schema_dir, help_file):
    _, by_name = load_schemas(schema_dir)
    with open(help_file, encoding="utf-8") as f:
        text = f.read()
    block = text.split("Commands:", 1)[1].split("\n\n", 1)[0]
    commands = re.findall(r"^  ([a-z][a-z0-9-]*)\s", block, re.M)
    problems = []
    if len(commands) < 10:
        problems.append("only %d commands found in --help" % len(commands))
    for c in commands:
        if c not in by_name:
            problems.append("%s: no doc/json/v1/%s.schema.json" % (c, c))
    for name, schema in by_name.items():
        if schema.get("$schema") != "https://json-schema.org/draft/2020-12/schema":
            problems.append("%s: not a draft 2020-12 schema" % name)
        if not name.startswith("_"):
            req = schema.get("required", [])
            for key in ("command", "ok"):
                if key not in req:
                    problems.append("%s: does not require %s" % (name, key))
        walk(schema, name, problems)
    for p in problems:
        print(p)
    print("%d commands, %d schemas, %d problems" % (len(commands), len(by_name), len(problems)))
    return 1 if problems else 0


def main(argv):
    if len(argv) == 5 and argv[1] == "documents":
        return documents(argv[2], argv[3], argv[4])
    if len(argv) == 4 and argv[1] == "schemas":
        return schemas(argv[2], argv[3])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
