#!/usr/bin/env bash
# Builds and installs the package from this tree. The compiler's output goes to
# install.log; the screen gets one line, or the log's end when the build fails.
#
# R CMD INSTALL locks the library with a 00LOCK-<dir> folder and removes it when
# it ends. An install that is killed (a CI timeout, a restarted machine) leaves
# the folder behind, and every later install then refuses to start. A lock is
# taken as stale when no R package installation is running on this machine.
set -uo pipefail
cd "$(dirname "$0")/.."
R="${R:-R}"
pkg=$(sed -n 's/^Package: *//p' DESCRIPTION)
version=$(sed -n 's/^Version: *//p' DESCRIPTION)
lib=$("$R" --vanilla --no-echo -e 'cat(.libPaths()[1])')

installing() {
  # An install in progress runs R with tools:::.install_packages(); ignore this script.
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q 'install_packages' && return 0
  done
  return 1
}

for lock in "$lib/00LOCK-$(basename "$PWD")" "$lib/00LOCK-$pkg"; do
  [ -d "$lock" ] || continue
  if installing; then
    echo "install: $lock exists and an installation is running; wait for it to end" >&2
    exit 1
  fi
  echo "install: removing the stale lock $lock left by an interrupted install"
  rm -rf "$lock"
done

echo "install: building and installing $pkg (compiler log: install.log) ..."
if ! "$R" CMD INSTALL --no-multiarch --with-keep.source . > install.log 2>&1; then
  tail -n 40 install.log
  echo "install: FAILED (full log: install.log)"
  exit 1
fi
echo "install: $pkg $version installed"
