#!/usr/bin/env bash
# `make valgrind`: runs the C++ unit tests and a fast smoke set of R calls of
# every compiled family (tools/sanitize/valgrind.R) under `R -d valgrind` and
# fails on any valgrind error or any definitely-lost block. Valgrind is
# installed with apt-get when missing.
set -uo pipefail
cd "$(dirname "$0")/../.."
R=${R:-R}
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind: installing valgrind with apt-get"
  apt-get update -qq && apt-get install -y -qq valgrind < /dev/null || exit 1
fi
mkdir -p tools/sanitize/build
log=tools/sanitize/build/valgrind.log
# The script drives the compiled code without testthat (see valgrind.R).
start=$(date +%s)
$R -d "valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --num-callers=30 --suppressions=tools/sanitize/valgrind.supp \
  --log-file=$log" --vanilla --no-echo -f tools/sanitize/valgrind.R
rc=$?
end=$(date +%s)
errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1)
definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1 | tr -d ,)
echo "valgrind: $((end - start)) s; tests exit status $rc; ERROR SUMMARY ${errors:-?} errors; definitely lost ${definite:-0} bytes (log: $log)"
if [ "$rc" -ne 0 ] || [ "${errors:-1}" != "0" ] || [ "${definite:-0}" != "0" ]; then
  grep -A30 -E "Invalid|uninitialised|definitely lost in" "$log" | head -150
  echo "valgrind: FAILED"
  exit 1
fi
echo "valgrind: OK - zero errors, zero definite leaks"
