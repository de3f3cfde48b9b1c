#!/usr/bin/env bash
# Installs a build into a temporary prefix, as a distribution package would lay it out, and uses
# what was installed: the binary's --help, a man page through man(1), the bash completion.
# Usage: check_install.sh BUILD_DIR
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
# Never into the real system: no DESTDIR from the environment, and every path must land in $prefix.
env -u DESTDIR cmake --install "$build" --prefix "$prefix" >"$prefix.log"
if grep -E "^-- (Installing|Up-to-date): " "$prefix.log" | grep -vF -- "$prefix/" >&2; then
  echo "install: files went outside the prefix" >&2
  rm -f "$prefix.log"
  exit 1
fi
rm -f "$prefix.log"

fail=0
check() { # DESCRIPTION COMMAND...
  local what=$1
  shift
  if ! "$@"; then
    echo "install: $what failed" >&2
    fail=1
  fi
}
for f in bin/bcvk share/man/man8/bcvk.8 share/man/man8/bcvk-ephemeral-run.8 \
  share/bash-completion/completions/bcvk share/fish/vendor_completions.d/bcvk.fish; do
  check "$f is installed" test -f "$prefix/$f"
done
check "zsh completion installed" compgen -G "$prefix/share/zsh/*/_bcvk"
check "installed bcvk --help" sh -c "'$prefix/bin/bcvk' --help | grep -q 'ephemeral'"
check "man -l of an installed page" sh -c \
  "MANWIDTH=80 man -l '$prefix/share/man/man8/bcvk-ephemeral-run.8' 2>&1 | grep -q '^NAME'"
check "installed man page has no roff warnings" sh -c \
  "! MANWIDTH=80 man --warnings -l '$prefix/share/man/man8/bcvk-ephemeral-run.8' 2>&1 >/dev/null | grep ."
check "installed bash completion completes a verb" env PATH="$prefix/bin:$PATH" bash -c "
  source '$prefix/share/bash-completion/completions/bcvk'
  COMP_LINE='bcvk ephemeral run-s'; COMP_POINT=\${#COMP_LINE}
  COMP_WORDS=(bcvk ephemeral run-s); COMP_CWORD=2; _bcvk
  [ \"\${COMPREPLY[*]}\" = run-ssh ]"
exit $fail
