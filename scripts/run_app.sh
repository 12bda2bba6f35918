#!/usr/bin/env bash
# One command: install, then start the app on the embedded default model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec "${PYTHON:-python3}" -m streamlit run app.py --server.headless true "$@"
