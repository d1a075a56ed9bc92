#!/usr/bin/env bash
# Runs the reasoner benchmarks side by side with the peers and prints the
# markdown tables that go into BENCHMARKS.md.
#
#   bench/run.sh                       # the standard workloads, 3 runs each
#   REPS=5 bench/run.sh tc-1000-3000   # chosen workloads, 5 runs each
#   TIMEOUT=120 bench/run.sh           # kill a run after 120 s (default 600)
#
# Installs the peers when missing (nemo-python and clingo from PyPI, the
# sqlite3 CLI from Debian), builds in release, then runs, from the repo root:
#   ox-bench compare      every engine as a whole process (wall time, peak RSS)
#   ox-bench incremental  Program::update on 1% of the base facts, in process
#                         (again with --provenance, as the runtime records witnesses)
#   ox-bench provenance   witness recording and one explanation, in process
#   ox-bench deadline     how long evaluation and a first deletion on 4 million
#                         pairs run past deadlines of 1, 5 and 20 ms, in process
#   ox-bench deadline-sweep  how late an evaluation deriving millions of triples
#                         returns, for deadlines every 50 ms of its run, in process
# PostgreSQL is reached at $OX_BENCH_DATABASE_URL
# (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."

REPS="${REPS:-3}"
TIMEOUT="${TIMEOUT:-600}"  # seconds before one run is killed
PYTHON="${PYTHON:-python3}"
DATA="${OX_BENCH_DATA:-target/bench-data}"

"$PYTHON" -c 'import nmo_python' 2>/dev/null || "$PYTHON" -m pip install --quiet nemo-python
"$PYTHON" -c 'import clingo' 2>/dev/null || "$PYTHON" -m pip install --quiet clingo
if ! command -v sqlite3 >/dev/null; then
    apt-get update -qq && apt-get install -y -qq sqlite3
fi
command -v psql >/dev/null || echo "warning: psql not found; the PostgreSQL column will fail" >&2

cargo build --release -p ox-bench >&2
# The real `ox` binary, for one whole-process comparison (skipped if it does not build).
cargo build --release -p ox-cli >&2 || echo "warning: ox-cli did not build; skipping the ox binary row" >&2

echo "## Run of $(date -u +%Y-%m-%d) at $(git rev-parse --short HEAD)"
echo
echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(free -g | awk '/^Mem:/ {print $2}') GiB memory; $(uname -sr)."
echo "Peers: nemo-python $("$PYTHON" -c 'import importlib.metadata as m; print(m.version("nemo-python"))'), clingo $("$PYTHON" -c 'import clingo; print(clingo.__version__)'), $(sqlite3 --version | cut -d' ' -f1 | sed 's/^/SQLite /'), $(psql --version 2>/dev/null | sed 's/psql (PostgreSQL) /PostgreSQL /' || echo 'no psql'), ascent 0.8."
echo "Runs per cell: $REPS (median); a run is killed after $TIMEOUT s."
echo

status=0
target/release/ox-bench compare --data "$DATA" --reps "$REPS" --timeout "$TIMEOUT" --python "$PYTHON" "$@" || status=$?
echo
echo "Incremental maintenance (in process, median of $REPS):"
echo
target/release/ox-bench incremental --reps "$REPS" tc-1000-3000 sg-3000 lubm-1 || status=$?
target/release/ox-bench incremental --provenance --reps "$REPS" tc-1000-3000 sg-3000 lubm-1 || status=$?
if [ -x target/release/ox ]; then
    echo
    echo "The real \`ox\` binary on the same rules as an Argon package (ground facts, one query listing the tuples as CSV):"
    echo
    target/release/ox-bench cli --reps "$REPS" tc-1000-3000 || status=$?
fi
echo
echo "Provenance (in process, median of $REPS):"
echo
target/release/ox-bench provenance --reps "$REPS" "$@" || status=$?
echo
echo "Deadlines (in process, median of $REPS):"
echo
target/release/ox-bench deadline --reps "$REPS" || status=$?
echo
target/release/ox-bench deadline-sweep || status=$?
exit "$status"
