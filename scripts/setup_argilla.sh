#!/usr/bin/env bash
# Idempotent installer of what the Argilla integration tests (and `datagen annotate serve`)
# need outside the project's own venv:
#   - redis-server and chromium from Debian (apt-get update only when something is missing);
#   - a separate virtualenv for argilla-server with the pinned stack that works here, plus
#     noida-db (an Elasticsearch-8 API emulator the server accepts as its search engine).
# Skips in well under a second when the marker file with the same pins exists.
# noida-db 0.2.3 is the newest release and ignores include_in_root on nested mappings, which
# breaks an annotator's Pending queue and Submitted counter; the server is therefore always
# started through annotation/argilla_launch.py, which rewrites those two queries as nested
# ones (docs/annotation.md, "Known limits of the local stack"). Nothing here patches files.
# Override the server venv location with SAFEREC_ARGILLA_VENV; the Python that builds it
# with SAFEREC_ARGILLA_PYTHON (default: python3 outside any active venv).
set -euo pipefail

VENV="${SAFEREC_ARGILLA_VENV:-$HOME/.cache/saferec/argilla-server-venv}"
PINS="argilla-server==2.8.0 click==8.1.8 huggingface_hub==0.36.2 datasets==3.6.0 noida-db==0.2.3"
MARKER="$VENV/.saferec-pins"

log() { printf '[setup_argilla] %s\n' "$*" >&2; }
die() { printf '[setup_argilla] ERROR: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root (or sudo) to run: $*"; fi
}

apt_install() {
  # $@: Debian package names that are missing
  [ "$#" -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "apt-get not found; install manually: $*"
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null \
    || die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "$@" >/dev/null || die "apt-get install $* failed"
}

missing=()
command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || missing+=(chromium)
apt_install "${missing[@]+"${missing[@]}"}"

if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$PINS" ] && [ -x "$VENV/bin/noida-db" ]; then
  exit 0
fi

PY="${SAFEREC_ARGILLA_PYTHON:-}"
if [ -z "$PY" ]; then
  # Use the interpreter outside the project's venv so the server venv does not chain to it.
  PY="$(env -u VIRTUAL_ENV PATH="${PATH#"${VIRTUAL_ENV:-/nonexistent}/bin:"}" \
        bash -c 'command -v python3')" || die "python3 not found"
fi
case "$VENV" in
  "" | "/" | "$HOME" | "$HOME/") die "refusing to (re)build a venv at '$VENV'" ;;
esac
log "building argilla-server venv at $VENV with $PY (one-off, a few minutes)"
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PY" -m venv "$VENV" || die "python -m venv failed"
export PIP_DISABLE_PIP_VERSION_CHECK=1
PIPLOG="$(dirname "$VENV")/argilla-server-pip.log"
# shellcheck disable=SC2086
if ! "$VENV/bin/python" -m pip install -q $PINS >"$PIPLOG" 2>&1; then
  grep -v 'is ignored: it is neither a file nor a directory' "$PIPLOG" | tail -n 30 >&2
  die "pip install of the server stack failed (full log: $PIPLOG)"
fi
"$VENV/bin/python" -c "import argilla_server" || die "argilla_server does not import"
[ -x "$VENV/bin/noida-db" ] || die "noida-db binary missing from $VENV/bin"
printf '%s' "$PINS" >"$MARKER"
log "argilla-server venv ready"
