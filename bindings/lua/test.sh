#!/usr/bin/env bash
# The LuaJIT binding's tests; exit 77 = skipped (see ../run-tests).
cd "$(dirname "$0")" || exit 1
command -v luajit >/dev/null || { echo "skipped: lua (no luajit)"; exit 77; }
exec luajit test_repoll.lua
