#!/usr/bin/env bash
# Drives the generated bash completion the way bash does on <TAB>: COMP_LINE and COMP_POINT, and
# COMP_WORDS split as bash splits them (at white space, and around ':' and '=', its default
# COMP_WORDBREAKS), then reads COMPREPLY and applies it as bash would, replacing its current word.
# Also syntax-checks the zsh and fish scripts.   Usage: check_completion.sh BCVK_BINARY
set -uo pipefail # not -e: bash-completion's helpers are not written for it
bcvk=$1
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
chmod 700 "$state"
mkdir -p "$state/instances/dev-box" "$state/instances/other-vm"
export BCVK_STATE_DIR=$state
export PATH="$(dirname "$bcvk"):$PATH"

# bash's own split of LINE into COMP_WORDS (an empty last word when LINE ends with a space).
split_like_bash() {
  local line=$1 word="" c i
  COMP_WORDS=()
  for ((i = 0; i < ${#line}; i++)); do
    c=${line:i:1}
    if [[ $c == " " ]]; then
      [[ -n $word ]] && COMP_WORDS+=("$word")
      word=""
    elif [[ $c == [:=] ]]; then
      [[ -n $word ]] && COMP_WORDS+=("$word")
      COMP_WORDS+=("$c")
      word=""
    else
      word+=$c
    fi
  done
  COMP_WORDS+=("$word")
  if [[ -z $word && ${line: -1} != " " ]]; then
    unset 'COMP_WORDS[${#COMP_WORDS[@]}-1]' # the line ends in ':' or '=': that is the current word
  fi
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
}

fail=0
# expect LINE -- COMPLETED-WORDS...: what the current word becomes, for each candidate.
expect() {
  local line=$1
  shift 2
  local expected=("$@") got=() reply
  COMP_LINE=$line
  COMP_POINT=${#line}
  split_like_bash "$line"
  COMPREPLY=()
  _bcvk
  local head=${line:0:${#line}-${#COMP_WORDS[COMP_CWORD]}}
  for reply in "${COMPREPLY[@]}"; do
    got+=("${head##* }$reply")
  done
  if [ "${got[*]}" != "${expected[*]}" ]; then
    echo "bcvk completion: '$line' gave '${got[*]}', expected '${expected[*]}'" >&2
    fail=1
  fi
}

check_all() {
  expect "bcvk ephemeral st" -- start stats stop
  expect "bcvk ephemeral ssh de" -- dev-box
  expect "bcvk ephemeral rm dev-box o" -- other-vm
  expect "bcvk ephemeral run --network is" -- isolated
  expect "bcvk ephemeral run --network=is" -- --network=isolated
  expect "bcvk ephemeral run --graphics=" -- --graphics=none --graphics=spice --graphics=vnc
  expect "bcvk -c qemu:///system ephemeral lo" -- logs
  expect "bcvk -c qemu:///s" -- qemu:///session qemu:///system
  expect "bcvk ephemeral ps --fo" -- --format
}

eval "$("$bcvk" completion bash)"
check_all
# With bash-completion loaded too (as in an interactive shell), the same answers.
if [ -f /usr/share/bash-completion/bash_completion ]; then
  # shellcheck disable=SC1091
  source /usr/share/bash-completion/bash_completion
  eval "$("$bcvk" completion bash)"
  check_all
fi

"$bcvk" completion zsh | zsh -n || { echo "zsh completion: syntax error" >&2; fail=1; }
"$bcvk" completion fish | fish -n || { echo "fish completion: syntax error" >&2; fail=1; }
exit $fail
