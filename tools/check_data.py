#!/usr/bin/env python3
"""Check the generated data in data/ner and data/gazetteer against their manifests.

Each folder has `SOURCES.md` (where every file comes from and the commands that rebuild it) and
`checksums.sha256` (sha256sum format, paths relative to the repository root; corpora as
`../shared/...`). An entry inside the folder is an output; any other entry is an input.

    python3 tools/check_data.py            # outputs, inputs in the repository, inputs in ../shared
    python3 tools/check_data.py --rebuild  # also rebuild data/ner/gazetteer.tsv and
                                           # data/gazetteer/*.tsv in a temporary folder, compare
    python3 tools/check_data.py --update   # after a deliberate rebuild: rewrite the checksums

Inputs in ../shared are checked when ../shared is there (and must be there for --rebuild).
--rebuild of data/gazetteer needs `pip install -r tools/gazetteer/requirements.txt` and
`apt-get install wamerican`; data/ner/weights.bin is never rebuilt here (cargo and spaCy, see
data/ner/SOURCES.md), only its checksum is checked. Standard library only. Exit status 1 if
anything differs, with what to do.
"""

import argparse
import difflib
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_PREFIX = "../shared/"
LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")

# Folder -> (the files in it that must be listed as outputs, how to rebuild them).
FOLDERS = {
    "data/ner": (
        ["data/ner/gazetteer.tsv", "data/ner/weights.bin"],
        "gazetteer.tsv: `python3 tools/ner/build_gazetteer.py ../shared/reference/petrarch2-dictionaries "
        "data/ner/gazetteer.tsv`; weights.bin: `tools/ner/train.sh`",
    ),
    "data/gazetteer": (
        sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "data/gazetteer/*.tsv"))),
        "`pip install -r tools/gazetteer/requirements.txt`, `apt-get install wamerican`, "
        "`python3 tools/gazetteer/convert.py ../shared/reference/petrarch2-dictionaries`",
    ),
}
# Data files written by hand: no generator, only their checksum is recorded.
BY_HAND = {"data/gazetteer/caps_words.tsv"}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(folder):
    """(lines as read, [(line index, sha, path)])."""
    path = os.path.join(ROOT, folder, "checksums.sha256")
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    entries = []
    for i, line in enumerate(lines):
        if not line.strip() or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            sys.exit(f"{folder}/checksums.sha256 line {i + 1}: not `SHA256  PATH`: {line!r}")
        entries.append((i, m.group(1), m.group(2)))
    return lines, entries


def locate(path, shared):
    """Manifest path -> file on this machine."""
    if path.startswith(SHARED_PREFIX):
        return os.path.join(shared, path[len(SHARED_PREFIX):])
    return os.path.join(ROOT, path)


def is_output(folder, path):
    return path.startswith(folder + "/")


def check(folder, shared, problems):
    expected, how = FOLDERS[folder]
    manifest = f"{folder}/checksums.sha256"
    _, entries = read_manifest(folder)
    listed = {p for _, _, p in entries}
    n_out = n_in = n_skipped = 0
    for p in expected:
        if p not in listed:
            problems.append(
                f"{p} is not in {manifest}: describe where it comes from in {folder}/SOURCES.md, "
                f"then run `python3 tools/check_data.py --update` to add its checksum"
            )
    for _, want, p in entries:
        f = locate(p, shared)
        out = is_output(folder, p)
        if not os.path.exists(f):
            if p.startswith(SHARED_PREFIX) and not os.path.isdir(shared):
                n_skipped += 1
                continue
            problems.append(f"{p}: listed in {manifest} but missing; if it was moved or removed, fix "
                            f"{folder}/SOURCES.md and {manifest}")
            continue
        got = sha256(f)
        if out:
            n_out += 1
        else:
            n_in += 1
        if got == want:
            continue
        if out and p in BY_HAND:
            problems.append(
                f"{p}: sha256 {got[:12]}... but {manifest} says {want[:12]}.... The file is written by "
                f"hand: if the edit is wanted, run `python3 tools/check_data.py --update` and commit the "
                f"manifest with it; if not, restore it: git checkout -- {p}"
            )
        elif out:
            problems.append(
                f"{p}: sha256 {got[:12]}... but {manifest} says {want[:12]}.... It was changed without "
                f"being rebuilt from its inputs, or rebuilt without recording the new checksum. If the "
                f"change is wanted, make it in the inputs and rebuild ({folder}/SOURCES.md; {how}), then "
                f"run `python3 tools/check_data.py --update` and commit the data with the manifest. If "
                f"not, restore it: git checkout -- {p}"
            )
        elif p.startswith(SHARED_PREFIX):
            problems.append(
                f"{p} ({f}): sha256 {got[:12]}... but {folder} was built from {want[:12]}... "
                f"(see {folder}/SOURCES.md). This ../shared is not the one the data was made from: "
                f"use that version; or, if the new one is meant to replace it, rebuild {folder} "
                f"({how}), then run `python3 tools/check_data.py --update`"
            )
        else:
            problems.append(
                f"{p} changed since {folder} was built from it (sha256 {got[:12]}..., manifest "
                f"{want[:12]}...). Rebuild {folder} ({folder}/SOURCES.md; {how}), review the diff, "
                f"then run `python3 tools/check_data.py --update` and commit the data with the manifest"
            )
    note = f", {n_skipped} inputs in ../shared skipped ({shared} is missing)" if n_skipped else ""
    print(f"{folder}: {n_out} outputs, {n_in} inputs checked{note}")


def compare(made, committed, label, how, problems):
    with open(made, "rb") as f:
        a = f.read()
    with open(os.path.join(ROOT, committed), "rb") as f:
        b = f.read()
    if a == b:
        return True
    diff = list(
        difflib.unified_diff(
            b.decode("utf-8", "replace").splitlines(),
            a.decode("utf-8", "replace").splitlines(),
            committed + " (committed)",
            committed + " (rebuilt)",
            n=0,
            lineterm="",
        )
    )
    shown = "\n      ".join(diff[:12]) + ("\n      ..." if len(diff) > 12 else "")
    problems.append(
        f"{committed} is not what {label} makes from its inputs. If the committed file was edited "
        f"by hand, move the edit into the inputs; else rebuild it ({how}), run "
        f"`python3 tools/check_data.py --update` and commit. Difference:\n      {shown}"
    )
    return False


def pinned_versions(requirements):
    """name -> version for `name==version` lines; and the installed version of each."""
    from importlib import metadata

    out = {}
    with open(os.path.join(ROOT, requirements), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\s*([A-Za-z0-9_.-]+)==([^\s#]+)", line)
            if m:
                try:
                    have = metadata.version(m.group(1))
                except metadata.PackageNotFoundError:
                    have = None
                out[m.group(1)] = (m.group(2), have)
    return out


def rebuild(shared, problems):
    dicts = os.path.join(shared, "reference", "petrarch2-dictionaries")
    if not os.path.isdir(dicts):
        problems.append(f"--rebuild needs {dicts} (../shared beside the repository, or --shared)")
        return
    with tempfile.TemporaryDirectory(prefix="check_data.") as tmp:
        # data/ner/gazetteer.tsv: standard library only.
        made = os.path.join(tmp, "ner-gazetteer.tsv")
        r = subprocess.run(
            [sys.executable, os.path.join(ROOT, "tools/ner/build_gazetteer.py"), dicts, made],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
        )
        if r.returncode != 0:
            problems.append(f"tools/ner/build_gazetteer.py failed:\n{r.stdout}")
        elif compare(made, "data/ner/gazetteer.tsv", "tools/ner/build_gazetteer.py",
                     FOLDERS["data/ner"][1], problems):
            print("data/ner/gazetteer.tsv: rebuilt, identical")

        # data/gazetteer/*.tsv: convert.py writes next to itself (../../data/gazetteer), so it runs
        # from a copy of tools/gazetteer in the temporary folder.
        how = FOLDERS["data/gazetteer"][1]
        pins = pinned_versions("tools/gazetteer/requirements.txt")
        missing = [n for n, (_, have) in pins.items() if have is None]
        if not os.path.exists("/usr/share/dict/words"):
            missing.append("/usr/share/dict/words")
        if missing:
            problems.append(
                "cannot rebuild data/gazetteer: missing " + ", ".join(missing)
                + " (pip install -r tools/gazetteer/requirements.txt; apt-get install wamerican)"
            )
            return
        wrong = [f"{n} {have} (pinned {want})" for n, (want, have) in pins.items() if have != want]
        copy = os.path.join(tmp, "tools", "gazetteer")
        shutil.copytree(os.path.join(ROOT, "tools", "gazetteer"), copy,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        os.makedirs(os.path.join(tmp, "data", "gazetteer"))
        r = subprocess.run(
            [sys.executable, os.path.join(copy, "convert.py"), dicts],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
        )
        if r.returncode != 0:
            problems.append(f"tools/gazetteer/convert.py failed:\n{r.stdout}")
            return
        made_files = sorted(os.listdir(os.path.join(tmp, "data", "gazetteer")))
        same = True
        for name in made_files:
            same &= compare(os.path.join(tmp, "data", "gazetteer", name), f"data/gazetteer/{name}",
                            "tools/gazetteer/convert.py", how, problems)
        if same:
            print(f"data/gazetteer: rebuilt {', '.join(made_files)}, identical")
        elif wrong:
            problems.append("the rebuild used " + ", ".join(wrong)
                            + ": install the pinned versions and run it again before changing data")


def update(shared):
    for folder, (expected, _) in FOLDERS.items():
        lines, entries = read_manifest(folder)
        listed = {p for _, _, p in entries}
        changed = 0
        for i, want, p in entries:
            f = locate(p, shared)
            if not os.path.exists(f):
                print(f"{folder}: {p} not on this machine, its checksum is kept", file=sys.stderr)
                continue
            got = sha256(f)
            if got != want:
                lines[i] = f"{got}  {p}"
                changed += 1
                print(f"{folder}: {p}: {want[:12]}... -> {got[:12]}...")
        for p in expected:
            if p not in listed:
                lines.append(f"{sha256(os.path.join(ROOT, p))}  {p}")
                changed += 1
                print(f"{folder}: {p} added; say where it comes from in {folder}/SOURCES.md")
        with open(os.path.join(ROOT, folder, "checksums.sha256"), "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lines) + "\n")
        print(f"{folder}/checksums.sha256: {changed} entries updated. Update the output checksums "
              f"quoted in {folder}/SOURCES.md too, and the commands there if they changed.")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"),
                    help="the shared corpora folder (default: ../shared beside the repository)")
    ap.add_argument("--rebuild", action="store_true",
                    help="also rebuild the generated files that can be rebuilt here and compare")
    ap.add_argument("--update", action="store_true",
                    help="rewrite the checksums from the files as they are now")
    a = ap.parse_args()
    shared = os.path.normpath(a.shared)
    if a.update:
        update(shared)
        return
    problems = []
    for folder in FOLDERS:
        check(folder, shared, problems)
    if a.rebuild:
        rebuild(shared, problems)
    if problems:
        print(f"\n{len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  * {p}", file=sys.stderr)
        sys.exit(1)
    print("data checksums: ok")


if __name__ == "__main__":
    main()
