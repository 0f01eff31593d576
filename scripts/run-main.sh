#!/usr/bin/env bash
# The main job behind `make run`: runs every command that produces a verdict or a measurement
# with its defaults, writing each result as JSON to OUT and a table to the terminal.
set -euo pipefail
bin=$1
out=$2
status=0
run() {
  local name=$1
  shift
  if "$bin" "$@" --help >/dev/null 2>&1; then
    echo "== gsa-theory $*"
    "$bin" "$@" --json "$out/$name.json" || status=1
  fi
}
run doctor doctor
# Each step runs only once its command exists in this build.
for step in "check:check" "sweep:sweep" "predict:predict --preset paper" "check-convergence:check-convergence"; do
  name=${step%%:*}
  args=${step#*:}
  if "$bin" --help | grep -q "^  ${args%% *} "; then
    # shellcheck disable=SC2086
    run "$name" $args
  fi
done
echo "results: $out/"
exit $status
