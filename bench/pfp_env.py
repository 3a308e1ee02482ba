"""Virtual environments with PyFlightProfiler (PyPI `flight-profiler`) for the comparison benchmarks.

    python bench/pfp_env.py [--root DIR] [--version 1.0.7] [--python PATH ...] [--check]

PyFlightProfiler requires its target to run in the same environment as its client (it compares
`sys.executable` with `/proc/PID/exe` and injects `profiler_agent.py` from its own install dir), so
each target Python gets its own venv, outside the repository, and the benchmark's PFP targets are
started with that venv's python. Idempotent: a venv that already has the right version is kept.
Only wheels are accepted (`--only-binary`): PFP's source build downloads frida from GitHub.

Default: /tmp/pfp-venvs/3.11 and /tmp/pfp-venvs/3.12 from the pyenv interpreters 3.11.x / 3.12.x.
"""

from __future__ import annotations

import argparse
import glob
import os
import subprocess
import sys

PFP_VERSION = "1.0.7"
DEFAULT_ROOT = os.environ.get("PFP_VENVS", "/tmp/pfp-venvs")
PYENV = "/root/.pyenv/versions"
DEFAULT_SERIES = ("3.11", "3.12")


def find_python(series: str) -> str:
    """The pyenv interpreter of a series ('3.12'), else python3.12 from PATH."""
    for path in sorted(glob.glob(os.path.join(PYENV, series + ".*", "bin", "python")), reverse=True):
        return path
    for d in os.environ.get("PATH", "").split(os.pathsep):
        path = os.path.join(d, "python" + series)
        if os.access(path, os.X_OK):
            return path
    raise SystemExit(f"no CPython {series} found (looked in {PYENV} and PATH)")


def series_of(python: str) -> str:
    out = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def venv_dir(series: str, root: str = DEFAULT_ROOT) -> str:
    return os.path.join(root, series)


def venv_python(series: str, root: str = DEFAULT_ROOT) -> str:
    return os.path.join(venv_dir(series, root), "bin", "python")


def venv_cli(series: str, root: str = DEFAULT_ROOT) -> str:
    return os.path.join(venv_dir(series, root), "bin", "flight_profiler")


def installed_version(python: str) -> str | None:
    if not os.access(python, os.X_OK):
        return None
    out = subprocess.run(
        [python, "-c", "import importlib.metadata as m; print(m.version('flight-profiler'))"],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() if out.returncode == 0 else None


def ensure(series: str, base_python: str | None = None, root: str = DEFAULT_ROOT, version: str = PFP_VERSION) -> str:
    """Create (or keep) root/series with flight-profiler==version; returns the venv's python."""
    py = venv_python(series, root)
    if installed_version(py) == version:
        return py
    base = base_python or find_python(series)
    if not os.access(py, os.X_OK):
        os.makedirs(root, exist_ok=True)
        subprocess.run([base, "-m", "venv", venv_dir(series, root)], check=True)
    subprocess.run(
        [py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--only-binary=:all:",
         f"flight-profiler=={version}"],
        check=True,
    )  # fmt: skip
    got = installed_version(py)
    if got != version:
        raise SystemExit(f"{py}: flight-profiler {got!r} installed, expected {version}")
    return py


def check(series: str, root: str = DEFAULT_ROOT) -> dict:
    """What the venv holds: python, version, whether the native parts (injector, agent .so) are present."""
    py = venv_python(series, root)
    out = subprocess.run(
        [py, "-c", "import flight_profiler, os; print(os.path.dirname(flight_profiler.__file__))"],
        capture_output=True,
        text=True,
    )
    pkg = out.stdout.strip()
    lib = os.path.join(pkg, "lib")
    return {
        "python": py,
        "cli": venv_cli(series, root),
        "version": installed_version(py),
        "package_dir": pkg,
        "native": sorted(os.listdir(lib)) if os.path.isdir(lib) else [],
        "ext": sorted(os.listdir(os.path.join(pkg, "ext"))) if os.path.isdir(os.path.join(pkg, "ext")) else [],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=DEFAULT_ROOT)
    ap.add_argument("--version", default=PFP_VERSION)
    ap.add_argument("--python", action="append", help="base interpreter (repeatable); default pyenv 3.11 and 3.12")
    ap.add_argument("--check", action="store_true", help="print what each venv holds")
    args = ap.parse_args()
    pythons = args.python or [find_python(s) for s in DEFAULT_SERIES]
    for base in pythons:
        series = series_of(base)
        py = ensure(series, base, args.root, args.version)
        print(f"{series}: {py} (flight-profiler {args.version})")
        if args.check:
            for k, v in check(series, args.root).items():
                print(f"  {k}: {v}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
