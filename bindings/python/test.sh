#!/usr/bin/env bash
# The Python binding's tests (unittest); exit 77 = skipped (see ../run-tests).
cd "$(dirname "$0")" || exit 1
command -v python3 >/dev/null || { echo "skipped: python (no python3)"; exit 77; }
exec python3 -m unittest discover -s .
