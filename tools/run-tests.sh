#!/usr/bin/env bash
# Set up this host and run every Tenks test: pep8, unit, the documentation
# build, Zuul configuration and playbooks, and functional.
#
# Usage (as root, from anywhere): tools/run-tests.sh [TOX ENVS]
# Prints one closing line "tests: N passed, N failed, N skipped" and exits
# non-zero when any test or check failed.

set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ENVS=${1:-pep8,py3,docs,zuul,functional}
BOOTSTRAP=${TENKS_BOOTSTRAP_VENV:-$PWD/.tox/bootstrap}

tools/setup-host.sh || exit 1
# pep8 also checks the shell scripts.
if ! command -v shellcheck >/dev/null && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q shellcheck \
        >/dev/null || { echo "run-tests: cannot install shellcheck" >&2; exit 1; }
fi

if [ ! -x "$BOOTSTRAP/bin/tox" ]; then
    if ! python3 -m venv "$BOOTSTRAP" \
            || ! "$BOOTSTRAP/bin/pip" install -q tox; then
        echo "run-tests: cannot install tox" >&2
        exit 1
    fi
fi

"$BOOTSTRAP/bin/tox" -e "$ENVS"
status=$?

# stestr's totals of the unit, Zuul and functional runs, as one closing line.
stestr=""
for candidate in .tox/py3/bin/stestr .tox/functional/bin/stestr \
        .tox/zuul/bin/stestr; do
    if [ -x "$candidate" ]; then stestr=$candidate; break; fi
done
total() {
    local field=$1 sum=0 repo n
    # stestr keeps a run's results in <repo>/.stestr.
    for repo in . .stestr-zuul .stestr-functional; do
        if [ -z "$stestr" ] || [ ! -d "$repo/.stestr" ]; then continue; fi
        n=$("$stestr" --repo-url "$repo" last 2>/dev/null \
            | sed -n "s/^ - $field: \([0-9]*\).*/\1/p")
        sum=$((sum + ${n:-0}))
    done
    echo "$sum"
}
passed=$(total Passed)
failed=$(total Failed)
skipped=$(total Skipped)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1   # a check failed outside stestr (pep8, an install step)
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
