#!/usr/bin/env bash
# Install the `train` extra (TRL, transformers, accelerate, CPU torch) into the project's venv
# for examples/train_trl.py and its integration test. Idempotent: does nothing when the pinned
# versions are installed. Refuses an install that would pull a CUDA build of torch (a bare
# torch from PyPI is a multi-GB CUDA wheel; the CPU wheel lies on this project's machines).
# The pins are read from pyproject.toml ([project.optional-dependencies] train).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${VIRTUAL_ENV:-}" ] && [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi

# prints the pins that are not installed at their version (nothing when all are)
missing="$(python - <<'PY'
import importlib.metadata as md, tomllib
pins = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["train"]
for pin in pins:
    name, version = pin.split("==")
    try:
        ok = md.version(name).split("+")[0] == version
    except md.PackageNotFoundError:
        ok = False
    if not ok:
        print(pin)
PY
)"
if [ -z "$missing" ]; then exit 0; fi
read -r -a pins <<<"$(echo "$missing" | tr '\n' ' ')"

report="$(mktemp)" log="$(mktemp)"
trap 'rm -f "$report" "$log"' EXIT
if ! python -m pip install -q --dry-run --report "$report" "${pins[@]}" >/dev/null 2>"$log"; then
  cat "$log" >&2
  exit 1
fi
if ! python - "$report" <<'PY'
import json, sys
picked = {i["metadata"]["name"].lower(): i["metadata"]["version"]
          for i in json.load(open(sys.argv[1]))["install"]}
cuda = sorted(n for n in picked if n.startswith(("nvidia-", "triton")))
torch = picked.get("torch")
if cuda or (torch is not None and "+cpu" not in torch):
    print(f"setup_train: refusing: torch {torch or '?'} with {', '.join(cuda) or 'no CPU tag'}"
          " is a CUDA build; put the torch 2.13.0 CPU wheel on a find-links path first",
          file=sys.stderr)
    sys.exit(1)
PY
then
  if [ "${CI:-}" = "true" ]; then exit 1; fi
  echo "setup_train: skipped; the TRL integration test will be skipped" >&2
  exit 0
fi
python -m pip install -q "${pins[@]}" 2>"$log" || { cat "$log" >&2; exit 1; }
