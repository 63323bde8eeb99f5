#!/usr/bin/env bash
# A throwaway Neo4j 5 server for the graph contract suite and `npm run bench -- graph --backend
# neo4j`: the community database from Maven Central, embedded in a small Java launcher
# (scripts/neo4j/src/main/java/dev/kedrec/neo4j/Main.java), Bolt on a free loopback port, auth off,
# data in .kedrec/neo4j. Needs Java 17+ and Maven (the first build downloads ~150 MB of jars).
#
#   scripts/neo4j/start_neo4j.sh [--url-file FILE]   build if needed, start (or reuse); prints bolt://…
#   scripts/neo4j/start_neo4j.sh --stop              stop it and delete its data
#
# Exit codes: 0 started, 2 no java/mvn, 3 the build failed, 4 the server did not come up (see the log).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/scripts/neo4j"
DIR="$ROOT/.kedrec/neo4j"
URL_FILE="$DIR/url"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --stop)
      if [[ -f "$DIR/pid" ]]; then
        pid="$(cat "$DIR/pid")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$pid" 2>/dev/null || true
      fi
      rm -rf "$DIR"
      exit 0 ;;
    --url-file) URL_FILE="$2"; shift 2 ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) echo "unknown option $1 (valid: --url-file FILE, --stop, --help)" >&2; exit 64 ;;
  esac
done
command -v java >/dev/null && command -v mvn >/dev/null || { echo "Java 17+ and Maven are needed (apt-get install default-jdk-headless maven)" >&2; exit 2; }
mkdir -p "$DIR"
if [[ -f "$DIR/pid" ]] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null && [[ -f "$DIR/url" ]]; then
  cat "$DIR/url"; [[ "$URL_FILE" == "$DIR/url" ]] || cp "$DIR/url" "$URL_FILE"
  exit 0
fi
if [[ ! -d "$HERE/target/classes/dev" || ! -d "$HERE/target/lib" || "$HERE/src/main/java/dev/kedrec/neo4j/Main.java" -nt "$HERE/target/classes" ]]; then
  (cd "$HERE" && mvn -q -B package -DskipTests >"$DIR/build.log" 2>&1) || { echo "the Neo4j launcher did not build; see $DIR/build.log" >&2; exit 3; }
fi
rm -rf "$DIR/data" "$DIR/url"
# A small heap: the test KB's graph fits, and the machine's other processes keep their memory.
nohup java -Xms512m -Xmx2g -XX:+UseG1GC -cp "$HERE/target/lib/*:$HERE/target/classes" dev.kedrec.neo4j.Main "$DIR/data" "$DIR/url" >"$DIR/server.log" 2>&1 &
echo $! > "$DIR/pid"
for _ in $(seq 1 240); do
  [[ -f "$DIR/url" ]] && break
  kill -0 "$(cat "$DIR/pid")" 2>/dev/null || { echo "Neo4j exited during start-up; see $DIR/server.log" >&2; exit 4; }
  sleep 0.5
done
[[ -f "$DIR/url" ]] || { echo "Neo4j did not come up within 120 s; see $DIR/server.log" >&2; exit 4; }
[[ "$URL_FILE" == "$DIR/url" ]] || cp "$DIR/url" "$URL_FILE"
cat "$DIR/url"
