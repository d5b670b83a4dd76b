#!/usr/bin/python3
"""Checks a deploy/ tree with PyYAML (Debian's python3-yaml), independently of the C++ checks.

Usage: validate_manifests.py DEPLOY_DIR

- every *.yaml parses (all documents) and every document is a mapping with apiVersion, kind and
  metadata.name (or metadata.generateName); a Kustomization needs `resources`;
- every kustomization.yaml lists only paths that exist, and lists every other *.yaml file of its
  own folder (so a new manifest cannot be forgotten);
- no two documents in one kustomization folder declare the same kind/namespace/name.
Prints one line per problem and exits 1 if there is any; otherwise prints a summary and exits 0.
"""
import os
import sys

import yaml


def main(root):
    problems = []
    files = docs_seen = 0
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames.sort()
        yamls = sorted(f for f in filenames if f.endswith((".yaml", ".yml")))
        ids = {}
        for name in yamls:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            files += 1
            try:
                with open(path, encoding="utf-8") as f:
                    docs = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                problems.append(f"{rel}: does not parse: {e}".replace("\n", " "))
                continue
            if not docs:
                problems.append(f"{rel}: no YAML document")
            for i, doc in enumerate(docs):
                docs_seen += 1
                where = f"{rel} document {i + 1}"
                if not isinstance(doc, dict):
                    problems.append(f"{where}: not a mapping")
                    continue
                kind = doc.get("kind")
                if not doc.get("apiVersion") or not kind:
                    problems.append(f"{where}: needs apiVersion and kind")
                    continue
                if kind == "Kustomization":
                    continue
                meta = doc.get("metadata")
                if not isinstance(meta, dict) or not (meta.get("name") or meta.get("generateName")):
                    problems.append(f"{where}: {kind} needs metadata.name")
                    continue
                key = (kind, meta.get("namespace", ""), meta.get("name") or meta.get("generateName"))
                if key in ids:
                    problems.append(f"{where}: {kind} {key[1]}/{key[2]} also in {ids[key]}")
                ids[key] = rel
        if "kustomization.yaml" in yamls:
            problems += check_kustomization(root, dirpath, yamls)
    if problems:
        print("\n".join(problems))
        return 1
    print(f"validate_manifests: {files} files, {docs_seen} documents OK")
    return 0


def check_kustomization(root, dirpath, yamls):
    rel = os.path.relpath(os.path.join(dirpath, "kustomization.yaml"), root)
    with open(os.path.join(dirpath, "kustomization.yaml"), encoding="utf-8") as f:
        k = yaml.safe_load(f)
    if not isinstance(k, dict) or not isinstance(k.get("resources"), list):
        return [f"{rel}: needs a resources list"]
    problems = []
    listed = set()
    for r in k["resources"]:
        if not isinstance(r, str):
            problems.append(f"{rel}: resource {r!r} is not a path")
            continue
        target = os.path.normpath(os.path.join(dirpath, r))
        if not os.path.exists(target):
            problems.append(f"{rel}: lists {r}, which does not exist")
        elif os.path.isdir(target) and not os.path.exists(os.path.join(target, "kustomization.yaml")):
            problems.append(f"{rel}: lists folder {r}, which has no kustomization.yaml")
        listed.add(os.path.normpath(r))
    for name in yamls:
        if name != "kustomization.yaml" and name not in listed:
            problems.append(f"{rel}: does not list {name} of its own folder")
    return problems


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
