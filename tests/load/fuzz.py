"""A seeded mutation fuzzer over the bundled examples, run through the CLI entry point.

    .venv/bin/python tests/load/fuzz.py --cases 3000 --seed 1        # make fuzz
    .venv/bin/python tests/load/fuzz.py --cases 200 --json           # what test_fuzz runs

Each mutant is one example file changed once: a wrong type, a removed or an
unknown field, an out-of-range number, a bad CIDR, unusual Unicode, a
control character, an alias bomb, deep nesting, a truncation, bytes that are
not UTF-8, a bad tag, a duplicated line, a YAML 1.1 oddity. Every mutant is
checked with ``netwarden validate`` (and, when valid, ``matrix`` and
``nft``); the outcome must be exit 0, or exit 2 with every line of the
message starting ``file:line: `` and naming a field unless the problem is the
document's text itself. A case runs under a time limit (SIGALRM) and the
process under a memory limit (RLIMIT_AS); anything else is a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import re
import resource
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from netwarden.cli import main as cli_main
from netwarden.load.scalars import KubeDumper

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CASE_SECONDS = 10
MEMORY_BYTES = 3 * 1024**3

# Messages about the text itself, where no field exists to name.
TEXT_PROBLEMS = ("invalid YAML", "invalid JSON", "character U+", "not UTF-8", "looks like UTF-16",
                 "not valid UTF-16", "must be a Kubernetes object", "nested deeper",
                 "excessive aliasing", "an anchor's value")


class CaseTimeout(Exception):
    pass


def seeds() -> list[tuple[Path, str]]:
    return sorted((p, p.read_text()) for p in EXAMPLES.rglob("*.yaml"))


# -- tree mutations: on the parsed documents ---------------------------------

def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


def _set(node: Any, path: tuple[Any, ...], value: Any) -> None:
    _get(node, path[:-1])[path[-1]] = value


WRONG_VALUES: list[Any] = [0, -1, 1.5, True, None, "", "x", [], {}, ["a"], {"a": 1}, "80",
                           "y", 2**40]
BIG_NUMBERS: list[Any] = [-1, 0, 65536, 70000, 2**31, 2**63, 2**64, 10**30, -(2**31) - 1]
BAD_CIDRS = ["10.0.0.0/33", "10.0.0", "300.1.2.3/8", "fe80::1%eth0", "::/129", "10.0.0.1/8",
             "010.0.0.0/8", "::ffff:10.0.0.0/104", " 10.0.0.0/8", "10.0.0.0/-1", ""]
UNICODE = ["ünïcødé", "\u200bzero-width", "\u202eltr", "e\u0301", "😀", "名前", "a" * 300,
           "x" * 100_000, "Ω" * 64, "\ufeffbom", "tab\there", "line\nbreak"]


def _leaf_paths(docs: list[Any]) -> list[tuple[Any, ...]]:
    return [p for p in _paths(docs)[1:] if len(p) > 1]


def wrong_type(rng: random.Random, docs: list[Any]) -> None:
    path = rng.choice(_leaf_paths(docs))
    _set(docs, path, rng.choice(WRONG_VALUES))


def remove_field(rng: random.Random, docs: list[Any]) -> None:
    paths = [p for p in _leaf_paths(docs) if isinstance(p[-1], str)]
    path = rng.choice(paths)
    del _get(docs, path[:-1])[path[-1]]


def unknown_field(rng: random.Random, docs: list[Any]) -> None:
    paths = [p for p in _leaf_paths(docs) if isinstance(p[-1], str)]
    path = rng.choice(paths)
    parent, key = _get(docs, path[:-1]), path[-1]
    if rng.random() < 0.6 and len(key) > 2:  # a misspelling of the key
        i = rng.randrange(len(key) - 1)
        wrong = key[:i] + key[i + 1] + key[i] + key[i + 2:] if rng.random() < 0.5 else \
            key[:i] + key[i + 1:]
        wrong = wrong if wrong != key else key.capitalize()
        parent[wrong] = parent.pop(key)
    else:
        parent[rng.choice(["extra", "podSelecter", "From", "ports_", "namesapce"])] = "x"


def out_of_range(rng: random.Random, docs: list[Any]) -> None:
    ints = [p for p in _leaf_paths(docs) if type(_get(docs, p)) is int]
    path = rng.choice(ints or _leaf_paths(docs))
    _set(docs, path, rng.choice(BIG_NUMBERS))


def bad_cidr(rng: random.Random, docs: list[Any]) -> None:
    strings = [p for p in _leaf_paths(docs) if isinstance(_get(docs, p), str)]
    cidrs = [p for p in strings if re.fullmatch(r"[0-9a-fA-F:.]+(/\d+)?", _get(docs, p))]
    path = rng.choice(cidrs or strings or _leaf_paths(docs))
    _set(docs, path, rng.choice(BAD_CIDRS))


def unicode_value(rng: random.Random, docs: list[Any]) -> None:
    strings = [p for p in _leaf_paths(docs) if isinstance(_get(docs, p), str)]
    path = rng.choice(strings or _leaf_paths(docs))
    _set(docs, path, rng.choice(UNICODE))


TREE_MUTATORS: dict[str, Callable[[random.Random, list[Any]], None]] = {
    "wrong-type": wrong_type, "remove-field": remove_field, "unknown-field": unknown_field,
    "out-of-range": out_of_range, "bad-cidr": bad_cidr, "unicode": unicode_value,
}


# -- text mutations: on the bytes -------------------------------------------

def _value_lines(text: str) -> list[int]:
    lines = text.split("\n")
    return [i for i, line in enumerate(lines) if re.match(r"\s*[-\w]+: \S", line)]


def _replace_value(rng: random.Random, text: str, value: str) -> str:
    lines = text.split("\n")
    candidates = _value_lines(text) or [0]
    i = rng.choice(candidates)
    head = lines[i].split(": ", 1)[0] if ": " in lines[i] else lines[i]
    lines[i] = f"{head}: {value}"
    return "\n".join(lines)


def control_char(rng: random.Random, text: str) -> bytes:
    at = rng.randrange(len(text) + 1)
    char = chr(rng.choice([*range(0, 9), 11, 12, *range(14, 32), 127, 0x9f, 0xfffe]))
    return (text[:at] + char + text[at:]).encode("utf-8", "surrogatepass")


def alias_bomb(rng: random.Random, text: str) -> bytes:
    width = rng.choice([3, 9, 10])
    depth = rng.choice([4, 8, 10])
    lines = ["lol0: &l0 [" + ",".join(['"lol"'] * width) + "]"]
    for i in range(1, depth):
        lines.append(f"lol{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]")
    bomb = "\n".join(lines) + "\n"
    return (bomb + text).encode() if rng.random() < 0.5 else (text.rstrip() + "\n" + bomb).encode()


def deep_nesting(rng: random.Random, text: str) -> bytes:
    depth = rng.choice([50, 150, 600, 5000, 100_000])
    flow = rng.random() < 0.5
    value = "[" * depth + "]" * depth if flow else "{a: " * depth + "1" + "}" * depth
    return _replace_value(rng, text, value).encode()


def truncate(rng: random.Random, text: str) -> bytes:
    data = text.encode()
    return data[: rng.randrange(len(data) + 1)]


def not_utf8(rng: random.Random, text: str) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:
        data = text.encode()
        at = rng.randrange(len(data) + 1)
        return data[:at] + bytes([rng.choice([0x80, 0xc3, 0xff, 0xfe])]) + data[at:]
    if choice == 1:
        return text.replace("a", "ä").encode("latin-1", "replace")
    if choice == 2:
        return text.encode("utf-16-le")
    return text.encode("utf-16")  # with a BOM: readable


def bad_tag(rng: random.Random, text: str) -> bytes:
    value = rng.choice(["!!bool maybe", "!!float ''", "!!int 0x", "!!timestamp x", "!!binary %%",
                        "!!int '80'", "!!str 80", "!custom x", "!!null x", "!!set {a}"])
    return _replace_value(rng, text, value).encode()


def duplicate_line(rng: random.Random, text: str) -> bytes:
    lines = text.split("\n")
    candidates = _value_lines(text) or [0]
    i = rng.choice(candidates)
    lines.insert(i + 1, lines[i])
    return "\n".join(lines).encode()


def dialect(rng: random.Random, text: str) -> bytes:
    value = rng.choice(["y", "n", "on", "off", "0o17", "080", "1e3", "1:20", "~", "0x50", ".inf",
                        ".nan", "2024-13-01", "80.0", "80.5", "-0", "'y'", "1_000", "<<: {a: 1}"])
    return _replace_value(rng, text, value).encode()


TEXT_MUTATORS: dict[str, Callable[[random.Random, str], bytes]] = {
    "control-char": control_char, "alias-bomb": alias_bomb, "deep-nesting": deep_nesting,
    "truncation": truncate, "not-utf8": not_utf8, "bad-tag": bad_tag,
    "duplicate-line": duplicate_line, "dialect": dialect,
}
MUTATORS = [*TREE_MUTATORS, *TEXT_MUTATORS]


def mutate(rng: random.Random, text: str, name: str) -> bytes:
    if name in TREE_MUTATORS:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
        if not docs or len(_leaf_paths(docs)) == 0:
            return text.encode()
        TREE_MUTATORS[name](rng, docs)
        return yaml.dump_all(docs, Dumper=KubeDumper, sort_keys=False, allow_unicode=True).encode()
    return TEXT_MUTATORS[name](rng, text)


# -- running -----------------------------------------------------------------

def _on_alarm(signum: int, frame: Any) -> None:
    raise CaseTimeout


def run_cli(argv: list[str]) -> tuple[int | str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code: int | str = cli_main(argv)
    except CaseTimeout:
        code = "hang"
    except MemoryError:
        code = "memory"
    except BaseException as exc:  # a traceback escaping main is what this looks for
        code = f"raised {type(exc).__name__}: {exc}"[:200]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return code, out.getvalue(), err.getvalue()


LINE = re.compile(r"(?:(?:error|warning): )?(?P<file>[^:]+):(?P<line>\d+): (?P<rest>.*)")


def classify(code: int | str, err: str, file: str) -> str:
    """ok, rejected-field, rejected-text, no-manifests, or bad:<why>."""
    if code == 0:
        return "ok"
    if code != 2:
        return f"bad:exit {code}"
    lines = [line for line in err.splitlines() if line.strip()]
    if len(lines) == 1 and lines[0].startswith("warning: no manifests found"):
        return "no-manifests"
    kinds = set()
    for line in lines:
        match = LINE.fullmatch(line)
        if match is None or match["file"] != file:
            if line.startswith("warning: "):
                continue
            return f"bad:line without file:line: {line[:160]}"
        rest = match["rest"]
        if rest.startswith(TEXT_PROBLEMS):
            kinds.add("rejected-text")
        elif re.match(r"\S+: ", rest):
            kinds.add("rejected-field")
        else:
            return f"bad:no field: {line[:160]}"
    return "rejected-field" if "rejected-field" in kinds else "rejected-text"


def run(cases: int, seed: int, workdir: Path) -> dict[str, Any]:
    rng = random.Random(seed)
    pool = seeds()
    outcomes: Counter[str] = Counter()
    by_mutator: dict[str, Counter[str]] = {m: Counter() for m in MUTATORS}
    failures: list[dict[str, Any]] = []
    slowest = 0.0
    signal.signal(signal.SIGALRM, _on_alarm)
    start = time.perf_counter()
    for case in range(cases):
        source, text = rng.choice(pool)
        mutator = rng.choice(MUTATORS)
        data = mutate(random.Random(rng.random()), text, mutator)
        path = workdir / f"m{case}-{source.stem}.yaml"
        path.write_bytes(data)
        began = time.perf_counter()
        code, _, err = run_cli(["validate", str(path)])
        outcome = classify(code, err, str(path))
        if outcome == "ok":  # a valid mutant must also compile, answer and render
            for argv in (["matrix", "--format", "json", str(path)], ["nft", str(path)]):
                code, _, err = run_cli(argv)
                if code != 0:
                    outcome = classify(code, err, str(path))
                    outcome = outcome if outcome.startswith("bad:") else f"bad:{argv[0]} {code}"
                    break
        slowest = max(slowest, time.perf_counter() - began)
        kind = outcome.split(":", 1)[0]
        outcomes[kind] += 1
        by_mutator[mutator][kind] += 1
        if kind == "bad":
            failures.append({"case": case, "source": str(source.relative_to(ROOT)),
                             "mutator": mutator, "why": outcome[4:], "file": str(path),
                             "stderr": err[-600:]})
        else:
            path.unlink()
    return {"cases": cases, "seed": seed, "seconds": round(time.perf_counter() - start, 1),
            "slowest_case_seconds": round(slowest, 2), "outcomes": dict(outcomes),
            "by_mutator": {m: dict(c) for m, c in by_mutator.items()}, "failures": failures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--keep", type=Path, help="keep failing mutants in this directory")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    with tempfile.TemporaryDirectory(prefix="nw-fuzz-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        summary = run(args.cases, args.seed, workdir)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{summary['cases']} mutants (seed {summary['seed']}) in {summary['seconds']} s, "
              f"slowest case {summary['slowest_case_seconds']} s")
        for kind, count in sorted(summary["outcomes"].items()):
            print(f"  {kind}: {count}")
        print("by mutator:")
        for mutator, counts in summary["by_mutator"].items():
            print(f"  {mutator}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        for failure in summary["failures"][:20]:
            print(f"FAIL case {failure['case']} {failure['mutator']} on {failure['source']}: "
                  f"{failure['why']}")
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
