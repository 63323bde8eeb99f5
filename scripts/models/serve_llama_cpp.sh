#!/usr/bin/env bash
# Serves a GGUF model over an OpenAI-compatible HTTP API with llama.cpp (llama-cpp-python's server),
# for the real-model test tier (tests/integration/model-openai-real.test.ts) and for trying
# KEDREC_LLM_PROVIDER=openai-compatible without a GPU host.
#
# Usage:
#   scripts/models/serve_llama_cpp.sh [options]          install if needed, start, wait, print the URL
#   scripts/models/serve_llama_cpp.sh --install-only     only build/install llama-cpp-python[server]
#   scripts/models/serve_llama_cpp.sh --stop             stop the server named by the pid file
#
# Options (defaults in brackets; paths relative to the repository root):
#   --model PATH        GGUF to serve [.kedrec/models/gemma-3-270m-q4_k_m.gguf]
#                       (made by `python3 scripts/models/install_gguf.py`)
#   --url-file PATH     where the base URL (http://127.0.0.1:PORT/v1) is written [.kedrec/llama-server.url]
#   --pid-file PATH     where the server's pid is written [.kedrec/llama-server.pid]
#   --log-file PATH     the server's stdout and stderr [.kedrec/llama-server.log]
#   --port N            port on 127.0.0.1 [a free one]
#   --n-ctx N           context window in tokens [8192; the agent's retrieve-then-generate prompt
#                       alone is ~2,000-4,000 tokens with Gemma's tokenizer]
#   --chat-format NAME  llama-cpp-python chat format, or "gemma3" (added here: Gemma 3's own chat
#                       template) [gemma3 for a file named gemma-3*/gemma3*, else the GGUF's embedded
#                       template]. The packaged Gemma 3 270M GGUF embeds no template, so without this
#                       llama-cpp-python falls back to "llama-2" and the model answers nothing; its
#                       "gemma" format drops system messages.
#   --timeout S         seconds to wait for GET /v1/models to answer [120]
# Environment: KEDREC_LLAMA_VENV (the private venv) [.kedrec/llama-venv]; LLAMA_N_THREADS
#   (generation threads) [half the cores]; LLAMA_N_THREADS_BATCH (prompt processing) [all cores];
#   PYTHON (used to create the venv) [python3]; CMAKE_ARGS, CMAKE_BUILD_PARALLEL_LEVEL are honoured
#   when pip has to build llama-cpp-python from its sdist (it has no Linux wheel on PyPI).
#
# The model is served under the alias <file name without .gguf>; GET <url>/models lists it.
# Idempotent: the venv is built once (pip's wheel cache makes a rebuild after `rm -rf` the venv
# quick); when the pid file names a live server that answers, its URL is reused.
# Reads no stdin. Logs go to stderr; stdout carries only the URL.
#
# Exit codes: 0 server answering (URL and pid written; stop it with --stop or `kill $(cat PIDFILE)`),
#   2 bad usage, 3 model file missing, 4 installing llama-cpp-python failed, 5 the server exited
#   while starting (see the log), 6 the server did not answer within the timeout (it is stopped).
set -euo pipefail

LLAMA_CPP_PYTHON_VERSION=0.3.36
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

MODEL=.kedrec/models/gemma-3-270m-q4_k_m.gguf
URL_FILE=.kedrec/llama-server.url
PID_FILE=.kedrec/llama-server.pid
LOG_FILE=.kedrec/llama-server.log
PORT=""
N_CTX=8192
CHAT_FORMAT=""
TIMEOUT=120
ACTION=serve
VENV="${KEDREC_LLAMA_VENV:-.kedrec/llama-venv}"
CORES="$(nproc 2>/dev/null || echo 2)"
# Generation on half the cores: on a busy 2-core CI host, 2 generation threads ran 20-30x slower
# than 1 (llama.cpp's threads wait on each other); prompt processing uses them all.
THREADS="${LLAMA_N_THREADS:-$(( CORES > 1 ? CORES / 2 : 1 ))}"
THREADS_BATCH="${LLAMA_N_THREADS_BATCH:-$CORES}"

say() { echo "serve_llama_cpp: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
need() { [[ $# -ge 2 && -n "$2" ]] || { say "$1 needs a value"; exit 2; }; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) need "$@"; MODEL="$2"; shift 2 ;;
    --url-file) need "$@"; URL_FILE="$2"; shift 2 ;;
    --pid-file) need "$@"; PID_FILE="$2"; shift 2 ;;
    --log-file) need "$@"; LOG_FILE="$2"; shift 2 ;;
    --port) need "$@"; PORT="$2"; shift 2 ;;
    --n-ctx) need "$@"; N_CTX="$2"; shift 2 ;;
    --chat-format) need "$@"; CHAT_FORMAT="$2"; shift 2 ;;
    --timeout) need "$@"; TIMEOUT="$2"; shift 2 ;;
    --install-only) ACTION=install; shift ;;
    --stop) ACTION=stop; shift ;;
    -h|--help) usage ;;
    *) say "unknown argument: $1"; usage ;;
  esac
done
for n in "$N_CTX" "$TIMEOUT" "$THREADS" "$THREADS_BATCH" ${PORT:+"$PORT"}; do
  [[ "$n" =~ ^[0-9]+$ ]] || { say "not a number: $n"; exit 2; }
done

# The pid file's process, if it is alive and is a llama_cpp.server (a recycled pid is left alone).
server_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid; pid="$(tr -dc 0-9 <"$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'llama_cpp\.server' || return 1
  echo "$pid"
}

# GET <base>/models answers 200.
answers() { curl -fsS --max-time 3 -o /dev/null "$1/models" 2>/dev/null; }

stop_server() {
  local pid
  if pid="$(server_pid)"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    say "stopped llama.cpp server (pid $pid)"
  fi
  rm -f "$PID_FILE" "$URL_FILE"
}

install() {
  local py="$VENV/bin/python"
  if [[ -x "$py" ]] && "$py" - "$LLAMA_CPP_PYTHON_VERSION" <<'EOF' 2>/dev/null; then
import sys, llama_cpp, llama_cpp.server.app, uvicorn, sse_starlette  # the [server] extra
sys.exit(0 if llama_cpp.__version__ == sys.argv[1] else 1)
EOF
    return 0
  fi
  say "installing llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION into $VENV (a source build: several minutes on 2 cores)"
  local t0=$SECONDS
  [[ -x "$py" ]] || "${PYTHON:-python3}" -m venv "$VENV" || return 1
  # Portable (no -march=native), no examples/tests/tools: a smaller build that runs on any x86-64 CI host.
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DGGML_OPENMP=OFF -DLLAMA_CURL=OFF}" \
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}" \
    "$py" -m pip install --quiet "llama-cpp-python[server]==$LLAMA_CPP_PYTHON_VERSION" </dev/null >&2 || return 1
  say "installed in $((SECONDS - t0)) s"
}

case "$ACTION" in
  stop) stop_server; exit 0 ;;
  install) install || { say "installing llama-cpp-python failed"; exit 4; }; exit 0 ;;
esac

[[ -f "$MODEL" ]] || { say "no model at $MODEL; make it with: python3 scripts/models/install_gguf.py"; exit 3; }

# A server this script started before, still answering: reuse it.
if pid="$(server_pid)" && [[ -f "$URL_FILE" ]] && answers "$(cat "$URL_FILE")"; then
  say "reusing the llama.cpp server already running (pid $pid)"
  cat "$URL_FILE"
  exit 0
fi
stop_server

install || { say "installing llama-cpp-python failed"; exit 4; }

if [[ -z "$PORT" ]]; then
  PORT="$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
fi
ALIAS="$(basename "$MODEL" .gguf)"
URL="http://127.0.0.1:$PORT/v1"
mkdir -p "$(dirname "$URL_FILE")" "$(dirname "$PID_FILE")" "$(dirname "$LOG_FILE")"

if [[ -z "$CHAT_FORMAT" ]]; then
  shopt -s nocasematch
  [[ "$ALIAS" =~ gemma-?3 ]] && CHAT_FORMAT=gemma3
  shopt -u nocasematch
fi

# llama_cpp.server's own entry point, with one chat format added: "gemma3", Gemma 3's chat
# template as published with google/gemma-3-*-it (a system message is folded into the first user
# turn; roles must then alternate user/model, as on any server that runs the official template).
read -r -d '' LAUNCHER <<'PY' || true
import sys
from llama_cpp import llama_chat_format as f
GEMMA3 = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- if messages[0]['content'] is string -%}{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}"
    "{%- else -%}{%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}{%- endif -%}"
    "{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}{%- set first_user_prefix = '' -%}{%- set loop_messages = messages -%}{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif -%}"
    "{%- if message['role'] == 'assistant' -%}{%- set role = 'model' -%}{%- else -%}{%- set role = message['role'] -%}{%- endif -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') }}"
    "{%- if message['content'] is string -%}{{ message['content'] | trim }}"
    "{%- elif message['content'] is iterable -%}{%- for item in message['content'] -%}"
    "{%- if item['type'] == 'image' -%}{{ '<start_of_image>' }}{%- elif item['type'] == 'text' -%}{{ item['text'] | trim }}{%- endif -%}"
    "{%- endfor -%}{%- else -%}{{ raise_exception('Invalid content type') }}{%- endif -%}"
    "{{ '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)
# Token ids in Gemma 3's vocabulary: <eos> 1, <end_of_turn> 106.
f.register_chat_completion_handler("gemma3")(
    f.Jinja2ChatFormatter(template=GEMMA3, eos_token="<eos>", bos_token="<bos>", stop_token_ids=[1, 106]).to_chat_handler()
)
from llama_cpp.server.__main__ import main
sys.argv[0] = "llama_cpp.server"
main()
PY

# --interrupt_requests False: by default a request that arrives during a streamed generation (even
# the agent's GET /models probe) ends that stream early, silently, as if the model had finished.
args=(--model "$MODEL" --model_alias "$ALIAS" --host 127.0.0.1 --port "$PORT"
  --n_ctx "$N_CTX" --n_threads "$THREADS" --n_threads_batch "$THREADS_BATCH" --interrupt_requests False)
[[ -n "$CHAT_FORMAT" ]] && args+=(--chat_format "$CHAT_FORMAT")

t0=$SECONDS
# setsid: the server outlives this script and is not hit by the caller's terminal signals.
setsid "$VENV/bin/python" -c "$LAUNCHER" "${args[@]}" </dev/null >"$LOG_FILE" 2>&1 &
pid=$!
echo "$pid" >"$PID_FILE"
say "started llama.cpp server (pid $pid) on $URL serving $ALIAS${CHAT_FORMAT:+ (chat format $CHAT_FORMAT)}; log: $LOG_FILE"

while ! answers "$URL"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    say "the server exited while starting; last lines of $LOG_FILE:"
    tail -20 "$LOG_FILE" >&2 || true
    rm -f "$PID_FILE"
    exit 5
  fi
  if (( SECONDS - t0 >= TIMEOUT )); then
    say "the server did not answer GET $URL/models within $TIMEOUT s; stopping it. Last lines of $LOG_FILE:"
    tail -20 "$LOG_FILE" >&2 || true
    stop_server
    exit 6
  fi
  sleep 0.5
done

tmp="$URL_FILE.tmp.$$"
echo "$URL" >"$tmp" && mv "$tmp" "$URL_FILE"
say "answering after $((SECONDS - t0)) s"
echo "$URL"
