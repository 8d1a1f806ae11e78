"""The minimum Rust of the locked tree, against what Cargo.toml and README say.

  rust_version.py check   Cargo.toml's `rust-version` is the highest
                          `rust-version` of Cargo.lock's crates.io packages
                          (each read from its extracted sources under
                          $CARGO_HOME/registry/src/*/NAME-VERSION/Cargo.toml),
                          and README.md's "Needs Rust (X or later)" says the
                          same; exits naming the crate that needs more, or the
                          locked crates whose sources are not extracted
                          (`cargo fetch --locked` extracts them)
  rust_version.py needed  prints the highest rust-version and the crates
                          that declare it

README's figure is kept equal to Cargo.toml's by this check (make
tools-test, part of make test): raising `rust-version` fails it until
README's "Needs Rust (X or later)" says the same.
"""

import os
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"
README_NEEDS = re.compile(r"Needs Rust \((\d+\.\d+(?:\.\d+)?) or later")


def fail(message):
    sys.exit(f"rust-version: {message}")


def parse(version):
    """"1.85" and "1.85.0" as (1, 85, 0); None when it is not a Rust version."""
    if not isinstance(version, str) or not re.fullmatch(r"\d+\.\d+(\.\d+)?", version):
        return None
    parts = [int(p) for p in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def cargo_home():
    return Path(os.environ.get("CARGO_HOME") or Path.home() / ".cargo")


def locked_crates(lock_text):
    """(name, version) of every crates.io package in Cargo.lock (the crate itself,
    with no source, and git or path packages are left out)."""
    lock = tomllib.loads(lock_text)
    return sorted({(p["name"], p["version"]) for p in lock.get("package", [])
                   if p.get("source") == CRATES_IO})


def declared(crates, registry_src):
    """Each crate's rust-version (None when it declares none), read from its
    extracted sources; and the crates whose sources are not there."""
    found, missing = {}, []
    indexes = sorted(p for p in registry_src.glob("*") if p.is_dir()) if registry_src.is_dir() else []
    for name, version in crates:
        manifest = next((i / f"{name}-{version}" / "Cargo.toml" for i in indexes
                         if (i / f"{name}-{version}" / "Cargo.toml").is_file()), None)
        if manifest is None:
            missing.append(f"{name} {version}")
            continue
        package = tomllib.loads(manifest.read_text()).get("package", {})
        said = package.get("rust-version")
        if said is not None and parse(said) is None:
            fail(f"{manifest}: rust-version {said!r} is not a Rust version")
        found[(name, version)] = said
    return found, missing


def needed(found):
    """The highest rust-version declared, and the crates declaring it."""
    versions = [(parse(v), v, c) for c, v in found.items() if v is not None]
    if not versions:
        return None, []
    top = max(v[0] for v in versions)
    return next(v[1] for v in versions if v[0] == top), sorted(f"{n} {ver}" for p, _, (n, ver) in versions
                                                              if p == top)


# The first Rust of each edition: the crate's own edition is a floor too.
EDITION_FLOOR = {"2015": "1.0", "2018": "1.31", "2021": "1.56", "2024": "1.85"}


def own_package(cargo_text):
    return tomllib.loads(cargo_text).get("package", {})


def check(repo=REPO, registry_src=None):
    """The message of a passing check; exits with what to fix otherwise."""
    registry_src = registry_src or cargo_home() / "registry" / "src"
    package = own_package((repo / "Cargo.toml").read_text())
    ours = package.get("rust-version")
    if parse(ours) is None:
        fail(f"Cargo.toml's [package] has no rust-version (or not a Rust version: {ours!r})")
    crates = locked_crates((repo / "Cargo.lock").read_text())
    found, missing = declared(crates, registry_src)
    if missing:
        fail(f"{len(missing)} locked crate(s) have no extracted sources under {registry_src} "
             f"(run `cargo fetch --locked`, then again): {', '.join(missing)}")
    top, by = needed(found)
    edition = str(package.get("edition", "2015"))
    floor = EDITION_FLOOR.get(edition)
    if floor and (top is None or parse(floor) > parse(top)):
        top, by = floor, [f"this crate's edition {edition}"]
    if top is not None and parse(top) > parse(ours):
        needs_more = sorted((parse(v), f"{n} {ver} needs {v}") for (n, ver), v in found.items()
                            if v is not None and parse(v) > parse(ours))
        fail(f"Cargo.toml says rust-version {ours}, but locked crates need more: "
             f"{'; '.join(s for _, s in reversed(needs_more))} (set rust-version = \"{top}\", "
             "and README's \"Needs Rust (… or later)\")")
    if top is not None and parse(top) < parse(ours):
        fail(f"Cargo.toml says rust-version {ours}, but no locked crate needs more than {top} "
             f"({', '.join(by)}): say {top}, the true minimum, unless the crate's own code needs {ours} "
             "(then say why beside it)")
    readme = README_NEEDS.findall((repo / "README.md").read_text())
    if not readme:
        fail("README.md does not say \"Needs Rust (X or later)\"")
    for said in readme:
        if parse(said) != parse(ours):
            fail(f"README.md says \"Needs Rust ({said} or later)\", Cargo.toml's rust-version is {ours}")
    return (f"rust-version {ours}: the highest of {len(crates)} locked crates.io packages' "
            f"({', '.join(by) or 'none declares one'}); README.md says the same")


if __name__ == "__main__":
    command = sys.argv[1:] or ["help"]
    if command == ["check"]:
        print(check())
    elif command == ["needed"]:
        crates = locked_crates((REPO / "Cargo.lock").read_text())
        found, missing = declared(crates, cargo_home() / "registry" / "src")
        if missing:
            print(f"not extracted ({len(missing)}): {', '.join(missing)}")
        top, by = needed(found)
        print(f"{top}: {', '.join(by)}")
    else:
        sys.exit(__doc__)
