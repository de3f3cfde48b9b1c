#!/usr/bin/env bash
# Looks at a running bcvk VM the way a person does in virt-manager, on a virtual X display: the
# manager window listing the VM, then the VM's console window. Screenshots are kept in OUTDIR and
# read back with OCR; each view is retried until it shows what is expected (or 90 s pass).
# Usage: virt_manager_shots.sh DOMAIN OUTDIR     Prints one "VIEW: ok|missing" line per view.
set -uo pipefail
domain=$1
out=$2
mkdir -p "$out"
export GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1

# VIEW EXPECTED-TEXT VIRT-MANAGER-ARGS...: screenshot, OCR (at twice the size: small UI fonts read
# better), compare; the window stays open between attempts.
look() {
  local view=$1 expected=$2
  shift 2
  virt-manager --connect qemu:///system --no-fork "$@" >"$out/virt-manager-$view.log" 2>&1 &
  local pid=$! found=missing
  for _ in $(seq 1 45); do
    sleep 2
    import -window root "$out/virt-manager-$view.png" 2>/dev/null || continue
    convert "$out/virt-manager-$view.png" -scale 200% "$out/ocr-$view.png"
    tesseract "$out/ocr-$view.png" "$out/virt-manager-$view" >/dev/null 2>&1 # writes .txt
    if grep -qF -- "$expected" "$out/virt-manager-$view.txt"; then
      found=ok
      break
    fi
  done
  rm -f "$out/ocr-$view.png"
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  echo "$view: $found"
  [ "$found" = ok ]
}

status=0
look list "($domain)" || status=1
look console "login:" --show-domain-console "$domain" || status=1
exit $status
