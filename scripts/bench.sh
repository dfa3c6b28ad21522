#!/usr/bin/env bash
# make bench: runs every benchmark with its baseline and splices the raw
# output into BENCHMARKS.md between the "raw" markers. The tables above
# the markers are the reviewed figures; the raw block is this machine's
# latest run.
set -euo pipefail
cd "$(dirname "$0")/.."

out=bench.out
: >"$out"
bench() {
  echo "\$ ${BENCH_ENV:-}go test $*" | tee -a "$out"
  go test -run '^$' -benchmem "$@" 2>&1 | tee -a "$out"
}

bench -bench BenchmarkConstitutions -benchtime 1000x ./internal/httpapi/
bench -bench BenchmarkListCompression -benchtime 50x ./internal/httpapi/
echo "# evals: load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
bench -bench 'BenchmarkEvalVerdicts|BenchmarkEvalResultsPageWalk' -benchtime 3x ./internal/httpapi/
bench -bench 'RunDemo|FirstTokenEngine|FirstTokenUpstream|FirstTokenHistory|HistoryCached|AnswerTokens' -benchtime 300x ./internal/engine/
bench -bench 'SpeculativeFirstToken|StreamingScreen' -benchtime 3x ./internal/engine/
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
bench -bench EventLogHeap -benchtime 1x ./internal/engine/
bench -bench . -benchtime 1x -count 3 ./internal/wsapi/
bench -bench . -benchtime 5000x ./internal/store/sqlstore/

# Over the wire: the real binary in its own process, load from another,
# bare baselines in processes of their own, all in this run (cmd/benchwire).
wire=$(mktemp -d)
go build -o "$wire/superego" ./cmd/superego
go build -o "$wire/benchwire" ./cmd/benchwire
echo "\$ benchwire (relay, first token, history, REST); load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
"$wire/benchwire" -superego "$wire/superego" 2>&1 | tee -a "$out"
rm -rf "$wire"
if [ -n "${SUPEREGO_TEST_DATABASE_URL:-}" ]; then
  export SUPEREGO_TEST_STORE=postgres
  BENCH_ENV="SUPEREGO_TEST_STORE=postgres " bench -bench BenchmarkConstitutions -benchtime 1000x ./internal/httpapi/
  bench -bench . -benchtime 1x ./internal/store/postgres/
  bench -bench Replicated200Runs -benchtime 1x -count 2 ./internal/engine/
  unset SUPEREGO_TEST_STORE
else
  echo "NOTE: SUPEREGO_TEST_DATABASE_URL is not set: the PostgreSQL benchmarks were not run." | tee -a "$out"
fi

# Splice the raw output into BENCHMARKS.md.
start='<!-- bench:raw:start -->'
end='<!-- bench:raw:end -->'
if ! grep -q "$start" BENCHMARKS.md; then
  printf '\n## Latest raw run\n\nWritten by `make bench` (%s).\n\n%s\n%s\n' "$(uname -m), $(nproc) cores" "$start" "$end" >>BENCHMARKS.md
fi
tmp=$(mktemp)
awk -v start="$start" -v end="$end" -v raw="$out" -v when="$(date -u +%Y-%m-%dT%H:%MZ)" '
  $0 == start { print; print "```"; print "run at " when; while ((getline l < raw) > 0) print l; print "```"; skip = 1; next }
  $0 == end   { skip = 0 }
  !skip       { print }
' BENCHMARKS.md >"$tmp"
mv "$tmp" BENCHMARKS.md
echo "bench: raw results written to BENCHMARKS.md"
