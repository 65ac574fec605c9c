#!/bin/sh
# Prints the precision/recall tables of `core::reply` on the labelled replies in
# tests/fixtures/replies/ (the numbers for that folder's README), from the same evaluation that
# tests/replies.rs asserts.
#
#   scripts/reply-eval.sh
set -eu
cd "$(dirname "$0")/.."
exec cargo test --locked --test integration replies::print_the_evaluation_tables -- --ignored --nocapture --exact
