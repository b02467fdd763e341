#!/usr/bin/env bash
# The Node.js binding's tests (node --test); exit 77 = skipped (see ../run-tests).
cd "$(dirname "$0")" || exit 1
command -v node >/dev/null || { echo "skipped: node (no node)"; exit 77; }
if [ ! -d node_modules/koffi ]; then
    command -v npm >/dev/null || { echo "skipped: node (no npm)"; exit 77; }
    npm ci --no-audit --no-fund --loglevel=error || exit 1
fi
exec node --test test/*.test.js
