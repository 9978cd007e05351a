#!/usr/bin/env bash
# The decision ladder of ../shared/LADDER.md as one command: 1 KB, 100 KB and 10 MB
# prefixes of INPUT (default: the built-in corpus), LSTM off against LSTM on, each run
# in its own processes, and a GO / NO-GO report with charts in OUT.
#
#   scripts/ladder.sh                                   # built-in corpus
#   scripts/ladder.sh ../shared/data/dickens            # report in results/ladder-dickens-DATE-TIME
#   scripts/ladder.sh ../shared/data/dickens R          # report in R
#   scripts/ladder.sh FILE R --sweep blend=0.1,0.2,0.5,1.0 --jobs 2
#   QUICK=1 scripts/ladder.sh FILE                      # 1K and 100K only: does it run and round-trip?
#
# Further arguments go to `paqlstm ladder` (see `paqlstm ladder --help`). PYTHON picks the
# interpreter. Exit status: 0 a verdict, 1 NO-GO (debug: a run failed), 2 usage, 130 Ctrl-C.
set -uo pipefail

python="${PYTHON:-python3}"
input=()
if [[ $# -gt 0 && $1 != -* ]]; then
    input=("$1")
    shift
fi
name="$(basename "${input[0]:-corpus}")"
out="results/ladder-${name}-$(date +%Y%m%d-%H%M%S)"
if [[ $# -gt 0 && $1 != -* ]]; then
    out="$1"
    shift
fi
rungs=()
if [[ -n "${QUICK:-}" ]]; then
    rungs=(--rungs 1K,100K)
fi
if ! "$python" -c 'import matplotlib' 2>/dev/null; then
    echo "ladder.sh: no charts without matplotlib: pip install 'paqlstm[plots]'" >&2
fi

started=$SECONDS
"$python" -m paqlstm ladder "${input[@]}" --out "$out" "${rungs[@]}" "$@"
status=$?
echo "ladder.sh: exit status $status after $((SECONDS - started)) s; report in $out/report.md" >&2
exit $status
