#!/usr/bin/env bash
# Drives the generated bash completion the way bash does on <TAB> (COMP_WORDS/COMP_CWORD, then
# COMPREPLY), and syntax-checks the zsh and fish scripts. Usage: check_completion.sh BCVK_BINARY
set -uo pipefail # not -e: bash-completion's helpers are not written for it
bcvk=$1
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
chmod 700 "$state"
mkdir -p "$state/instances/dev-box" "$state/instances/other-vm"
export BCVK_STATE_DIR=$state
export PATH="$(dirname "$bcvk"):$PATH"

script=$("$bcvk" completion bash)
fail=0
expect() { # WORDS... -- EXPECTED...
  local words=() expected=()
  while [ "$1" != "--" ]; do words+=("$1"); shift; done
  shift
  expected=("$@")
  COMP_WORDS=("${words[@]}")
  COMP_CWORD=$((${#words[@]} - 1))
  COMP_LINE="${words[*]}"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _bcvk
  if [ "${COMPREPLY[*]}" != "${expected[*]}" ]; then
    echo "bcvk completion: '${words[*]}' gave '${COMPREPLY[*]}', expected '${expected[*]}'" >&2
    fail=1
  fi
}
eval "$script"
expect bcvk ephemeral st -- start stop
expect bcvk ephemeral ssh de -- dev-box
expect bcvk ephemeral rm dev-box o -- other-vm
expect bcvk ephemeral run --network is -- isolated
expect bcvk ephemeral ps --fo -- --format

# With bash-completion's helpers loaded too (as in an interactive shell), the same answers.
if [ -f /usr/share/bash-completion/bash_completion ]; then
  # shellcheck disable=SC1091
  source /usr/share/bash-completion/bash_completion
  eval "$script"
  expect bcvk ephemeral st -- start stop
  expect bcvk -c qemu:///system ephemeral logs o -- other-vm
fi

"$bcvk" completion zsh | zsh -n || { echo "zsh completion: syntax error" >&2; fail=1; }
"$bcvk" completion fish | fish -n || { echo "fish completion: syntax error" >&2; fail=1; }
exit $fail
