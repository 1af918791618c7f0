#!/usr/bin/env bash
# Retakes the README's screenshots (docs/screenshots/*.png) from the code in this checkout, at 1440×900:
# builds align, runs `align demo` in a temporary home, adds an admin and an annotator with a labeling project of the
# shipped labeling demo's answers, serves the app there and runs capture-screenshots.cs against it.
#
#   bash docs/retake-screenshots.sh [OUT_DIR]        # default OUT_DIR: docs/screenshots; PORT=5099 by default
#
# Needs what the tests need: .NET, Debian's Chromium (/usr/bin/chromium or $ALIGN_CHROMIUM) and the NuGet feed for
# Microsoft.Playwright. The temporary home is removed at the end (KEEP_HOME=1 keeps it). DEMO_HOME=DIR uses a home
# where `align demo` has already run instead (kept; each call adds two new accounts, the project only once).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$repo/docs/screenshots}")
port=${PORT:-5099}
if [[ -n "${DEMO_HOME:-}" ]]; then home=$(realpath "$DEMO_HOME"); KEEP_HOME=1; else home=$(mktemp -d "${TMPDIR:-/tmp}/align-shots.XXXXXX"); fi
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [[ "${KEEP_HOME:-0}" != 1 ]]; then rm -rf "$home"; else echo "home kept: $home"; fi
}
trap cleanup EXIT

dotnet build "$repo/src/Alignment.Cli" -c Release -v quiet -nologo
align() { dotnet "$repo/src/Alignment.Cli/bin/Release/net10.0/align.dll" "$@"; }
# The last line `align annotators add` prints is the new account's token.
token() { align annotators add "$1" "${@:2}" --home "$home" | tail -n 1; }

[[ -n "${DEMO_HOME:-}" ]] || align demo --home "$home"
# Fresh accounts on every call (a token is shown only when its account is made); the project is made once.
suffix=$(date +%s)
admin=$(token "maria-$suffix" --role admin)
annotator=$(token "sam-$suffix")
if ! align projects list --home "$home" | grep -q helpfulness; then
  align projects create helpfulness --overlap 2 --home "$home"
  align import "$repo/data/labeling-demo/responses.jsonl" --project helpfulness --kind responses --pair all --home "$home"
fi
align projects members add helpfulness "sam-$suffix" --home "$home"
run=$(align status --json --home "$home" | python3 -c 'import json, sys; r = json.load(sys.stdin)[0]; print(r.get("instance_id") or r["id"])')

# Started directly (not through the align function, a subshell), so that cleanup stops the server itself.
dotnet "$repo/src/Alignment.Cli/bin/Release/net10.0/align.dll" serve --home "$home" --port "$port" &
server=$!
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/signin" && break
  sleep 1
done
dotnet run "$repo/docs/capture-screenshots.cs" -- --url "http://127.0.0.1:$port" --admin-token "$admin" \
  --annotator-token "$annotator" --run "$run" --out "$out"
