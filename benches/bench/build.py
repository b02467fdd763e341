"""What the benchmarks need, and building them into target/bench/.

Nothing is installed from here: a missing package stops the run with the
command that installs it (`make bench-deps`)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .config import BEFORE, BENCHES, OUT, RELEASE, ROOT

def _checks():
    """Debian package -> how to tell it is there."""
    def pkg_config(name):
        return shutil.which("pkg-config") is not None and \
            subprocess.run(["pkg-config", "--exists", name]).returncode == 0

    return {
        "gcc": lambda: shutil.which(os.environ.get("CC", "cc")) is not None,
        "pkg-config": lambda: shutil.which("pkg-config") is not None,
        "libev-dev": lambda: Path("/usr/include/ev.h").exists(),
        "libevent-dev": lambda: pkg_config("libevent"),
        "libuv1-dev": lambda: pkg_config("libuv"),
        "valgrind": lambda: shutil.which("valgrind") is not None,
    }


OPTIONAL = {"gnuplot-nox": lambda: shutil.which("gnuplot") is not None}


def missing_packages():
    return [pkg for pkg, ok in _checks().items() if not ok()]


def require_packages():
    """Stops with a clear message when something is missing; says what an
    optional package would add."""
    missing = missing_packages()
    if missing:
        print("benches/run: missing " + " ".join(missing) + ".\n"
              "Install them with `make bench-deps` (apt-get; sudo when not root), or:\n"
              "  sudo apt-get install --no-install-recommends " + " ".join(missing), file=sys.stderr)
        sys.exit(2)
    absent = [pkg for pkg, ok in OPTIONAL.items() if not ok()]
    if absent:
        print(f"note: {' '.join(absent)} not installed: no plot (`make bench-deps` installs it)", flush=True)
    return not absent


def _pkg_flags(*names):
    return subprocess.run(["pkg-config", "--cflags", "--libs", *names], check=True,
                          capture_output=True, text=True).stdout.split()


def _link_soname(directory, target):
    """directory/librepoll.so.0 -> target: the library's soname, so the
    programs find it through their rpath ($ORIGIN) or LD_LIBRARY_PATH."""
    directory.mkdir(parents=True, exist_ok=True)
    soname = directory / "librepoll.so.0"
    if soname.is_symlink() or soname.exists():
        soname.unlink()
    soname.symlink_to(target)


def build():
    if not (RELEASE / "librepoll.so").exists():
        print("target/release/librepoll.so is missing: building it", flush=True)
        subprocess.run(["cargo", "build", "--release"], cwd=ROOT, check=True)
    # Link the library the way a user would (-Iinclude -L... -lrepoll).
    _link_soname(OUT, Path("..") / "release" / "librepoll.so")
    if BEFORE:
        _link_soname(OUT / "before", Path(BEFORE).resolve())
    cc = os.environ.get("CC", "cc")
    common = ["-O2", "-g", "-Wall", "-Wextra", "-I", str(ROOT / "include"), "-I", str(BENCHES)]
    link = ["-L", str(RELEASE), "-lrepoll", "-Wl,-rpath,$ORIGIN", "-pthread"]
    programs = {
        "bench_dispatch": _pkg_flags("libevent", "libuv") + ["-lev"],
        "bench_timers": _pkg_flags("libevent", "libuv") + ["-lev"],
        "bench_wake": _pkg_flags("libuv") + ["-lev"],
    }
    for prog, libs in programs.items():
        cmd = [cc, *common, str(BENCHES / f"{prog}.c"), "-o", str(OUT / prog), *link, *libs]
        if subprocess.run(cmd).returncode != 0:
            print(f"benches/run: building {prog} failed: {' '.join(cmd)}", flush=True)
            sys.exit(2)


def before_env():
    """The environment that makes a program load the before library."""
    return dict(os.environ, LD_LIBRARY_PATH=str(OUT / "before"))

