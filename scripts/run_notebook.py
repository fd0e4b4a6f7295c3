"""Execute a notebook headless with nbclient and fail (exit 1) if any cell fails.

    python scripts/run_notebook.py [NOTEBOOK] [--out EXECUTED.ipynb] [--run-dir DIR]
                                   [--timeout SECONDS]

Defaults: notebooks/saferec_tour.ipynb, written executed to runs/notebooks/ (git-ignored).
The kernel is the current interpreter: a kernelspec ``saferec-venv`` is installed into its
prefix (the venv) first, so run it from the venv.
``--run-dir`` sets ``SAFEREC_RUN_DIR`` for the notebook (the tour creates the run if absent).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


KERNEL_NAME = "saferec-venv"


def ensure_kernel() -> str:
    """Install (idempotently) a kernelspec for THIS interpreter into its prefix (the venv).

    A user-level ``python3`` kernelspec may point at another Python; a named spec inside the
    venv makes the notebook run with the project's own environment wherever it is executed.
    """
    from ipykernel.kernelspec import install

    install(kernel_name=KERNEL_NAME, display_name="Python (saferec venv)", prefix=sys.prefix)
    return KERNEL_NAME


def run_notebook(path: Path, out: Path, *, run_dir: Path | None = None,
                 timeout: int = 600) -> float:
    """Execute ``path`` into ``out``; returns the wall time. Raises on a failing cell."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    if run_dir is not None:
        os.environ["SAFEREC_RUN_DIR"] = str(run_dir)
    client = NotebookClient(nb, timeout=timeout, kernel_name=ensure_kernel(),
                            record_timing=False,  # no timestamps: re-executing gives small diffs
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebook", nargs="?", type=Path,
                    default=ROOT / "notebooks" / "saferec_tour.ipynb")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--run-dir", type=Path, default=None)
    ap.add_argument("--timeout", type=int, default=600)
    args = ap.parse_args()
    out = args.out or ROOT / "runs" / "notebooks" / args.notebook.name  # runs/ is git-ignored
    from nbclient.exceptions import CellExecutionError

    try:
        seconds = run_notebook(args.notebook, out, run_dir=args.run_dir, timeout=args.timeout)
    except CellExecutionError as exc:
        print(f"notebook failed: {str(exc).splitlines()[0]} (executed copy: {out})",
              file=sys.stderr)
        return 1
    print(f"executed {args.notebook} in {seconds:.1f} s -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
