"""Packs and checks the release artifacts `make dist` builds (see Makefile).

  dist.py pack VERSION TARGET BINARY   dist/runas-guard-VERSION-TARGET.tar.gz: the
                                       binary (or the bootstrap inside a Lambda zip)
                                       as runas-guard, with LICENSE, README.md,
                                       CHANGELOG.md and the pages README.md
                                       links to (docs/*.md)
  dist.py sums                         dist/SHA256SUMS of every artifact
  dist.py check VERSION [REV]          the x86_64 CLI says `VERSION (REV)`; REV by
                                       default as build.rs makes it from git
                                       (12-digit hash, `-modified` when tracked
                                       files differ; `no git revision` outside git)
"""

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

DIST = "dist"


def binary_bytes(path):
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as z:
            return z.read("bootstrap")
    with open(path, "rb") as f:
        return f.read()


def pack(version, target, binary):
    name = f"runas-guard-{version}-{target}"
    data = binary_bytes(binary)
    with tarfile.open(os.path.join(DIST, name + ".tar.gz"), "w:gz") as tar:
        info = tarfile.TarInfo(f"{name}/runas-guard")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
        pages = sorted(f"docs/{p}" for p in os.listdir("docs") if p.endswith(".md"))
        for doc in ("LICENSE", "README.md", "CHANGELOG.md", *pages):
            tar.add(doc, arcname=f"{name}/{doc}")


def sums():
    lines = []
    for name in sorted(os.listdir(DIST)):
        if name.endswith((".tar.gz", ".zip")):
            with open(os.path.join(DIST, name), "rb") as f:
                lines.append(f"{hashlib.sha256(f.read()).hexdigest()}  {name}\n")
    with open(os.path.join(DIST, "SHA256SUMS"), "w") as f:
        f.writelines(lines)
    sys.stdout.writelines(lines)


def git_revision():
    """The revision build.rs gives `--version` for this tree (keep the two alike)."""
    def git(*args):
        run = subprocess.run(["git", *args], capture_output=True, text=True,
                             env=dict(os.environ, GIT_OPTIONAL_LOCKS="0"))
        return run.stdout.strip() if run.returncode == 0 else None
    top = git("rev-parse", "--show-toplevel")
    if top is None or os.path.realpath(top) != os.path.realpath("."):
        return "no git revision"
    status = git("status", "--porcelain", "--untracked-files=no")
    return git("rev-parse", "--short=12", "HEAD") + ("-modified" if status else "")


def check(version, rev=None):
    rev = rev or os.environ.get("RUNAS_GUARD_REV") or git_revision()
    name = f"runas-guard-{version}-x86_64-unknown-linux-musl"
    with tarfile.open(os.path.join(DIST, name + ".tar.gz")) as tar:
        data = tar.extractfile(f"{name}/runas-guard").read()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "runas-guard")
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o755)
        out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    want = f"{version} ({rev})"
    if want not in out:
        sys.exit(f"dist: --version says {out.strip()!r}, not {want!r}")
    print(f"dist: {out.strip()}")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"pack": pack, "sums": sums, "check": check}[command](*args)
