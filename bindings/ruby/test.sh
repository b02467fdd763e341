#!/usr/bin/env bash
# The Ruby binding's tests (minitest); exit 77 = skipped (see ../run-tests).
cd "$(dirname "$0")" || exit 1
command -v ruby >/dev/null || { echo "skipped: ruby (no ruby)"; exit 77; }
ruby -e 'require "minitest"' 2>/dev/null || { echo "skipped: ruby (no minitest)"; exit 77; }
exec ruby -Ilib test/test_repoll.rb
