#!/usr/bin/env bash
# Install everything the suite needs on a fresh Debian 12 machine (run as root):
# system packages (Chromium, tesseract, poppler, Dovecot, PostgreSQL) and a virtual
# environment in .venv with the exact versions of requirements.lock.
# Idempotent: a second run only checks and returns in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  chromium                      # Playwright drives Debian's Chromium; no browser download
  fonts-dejavu-core fonts-liberation
  tesseract-ocr tesseract-ocr-eng
  poppler-utils                 # pdftoppm: PDF pages to images for OCR and screenshots
  dovecot-imapd dovecot-lmtpd   # the mail rig's IMAP server (own config, loopback)
  postgresql                    # the store's team backend; tests start their own cluster
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  [[ "$pkg" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $EUID -ne 0 ]]; then
    echo "bootstrap: missing system packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "bootstrap: installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Package installs must not start system services (we run our own instances).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
UV_VERSION=0.13.9
stamp=.venv/.lock-sha256
want=$(sha256sum requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
if [[ ! -x .venv/bin/python ]]; then
  echo "bootstrap: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "bootstrap: installing Python packages from requirements.lock"
  .venv/bin/python -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
  # uv is kept outside the lock so that "sync" does not remove it.
  .venv/bin/uv pip sync -q --python .venv/bin/python requirements.lock
  .venv/bin/uv pip install -q --python .venv/bin/python "uv==$UV_VERSION"
  .venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .
  echo "$want" >"$stamp"
fi
