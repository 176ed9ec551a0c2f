"""Refreshes GraphiQL's assets (schema/graphiql/assets/) from the npm registry.

    .venv/bin/python -m schema.graphiql.refresh      (or: make graphiql-assets)

`npm pack` fetches each package at the pinned version below (npm's own client, with its
registry settings and integrity checks); only the built files the page loads are copied,
with manifest.json naming each file's package, version and SHA-256. The assets are committed:
the GraphiQL page must work offline and on intranets, so nothing is fetched at run time.
Change a version here, run this, and check the page (tests/clients/test_browser.py)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ASSETS = Path(__file__).with_name("assets")
# GraphiQL 3 is the last line with a browser (UMD) build that needs no bundler; it runs on
# React 18 (React 19 has no UMD build). Strawberry's own page uses the same versions.
PACKAGES = {
    "react@18.2.0": {"umd/react.production.min.js": "react.production.min.js"},
    "react-dom@18.2.0": {"umd/react-dom.production.min.js": "react-dom.production.min.js"},
    "graphiql@3.8.3": {
        "graphiql.min.js": "graphiql.min.js",
        "graphiql.min.css": "graphiql.min.css",
    },
    "@graphiql/plugin-explorer@1.0.2": {
        "dist/index.umd.js": "plugin-explorer.umd.js",
        "dist/style.css": "plugin-explorer.css",
    },
}


SOURCE_MAP = re.compile(rb"\n?(//# sourceMappingURL=\S+|/\*# sourceMappingURL=[^*]+\*/)\s*$")


def refresh(target: Path = ASSETS) -> dict:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed (apt-get install npm)")
    manifest: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for spec, files in PACKAGES.items():
            out = subprocess.run(
                [npm, "pack", spec, "--json", "--pack-destination", tmp],
                check=True,
                capture_output=True,
                text=True,
            )
            (packed,) = json.loads(out.stdout)
            with tarfile.open(Path(tmp) / packed["filename"]) as archive:
                for inside, name in files.items():
                    member = archive.extractfile(f"package/{inside}")
                    if member is None:
                        raise SystemExit(f"{spec} has no {inside}")
                    # The source maps are not shipped: no request for them may 404.
                    data = SOURCE_MAP.sub(b"", member.read())
                    target.mkdir(parents=True, exist_ok=True)
                    (target / name).write_bytes(data)
                    manifest[name] = {
                        "package": packed["name"],
                        "version": packed["version"],
                        "path": inside,
                        "sha256": hashlib.sha256(data).hexdigest(),
                    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


if __name__ == "__main__":
    for name, entry in refresh().items():
        print(f"{name}: {entry['package']}@{entry['version']} {entry['sha256'][:12]}")
    sys.exit(0)
