#!/usr/bin/env bash
# page.sh -- the client node's web page, in a real browser: starts the
# ten-node cluster, checks how paxosd serves the page's files (content
# types, cache headers, 304), then runs page.mjs, which drives Debian's
# headless Chromium with playwright-core through the page, at / and under
# the Ingress prefix /client1/, and saves screenshots in the build
# directory (tests/browser/page.png, page-phone.png).
#
# Installs playwright-core with npm into a cache outside the source tree
# (${XDG_CACHE_HOME:-~/.cache}/paxos-test/playwright: a directory of its
# own, since npm removes from a directory what its package.json does not
# list, and other tests install other packages); Chromium comes from
# scripts/install-deps.sh. Skips (exit 77) when Node.js or Chromium is
# missing, playwright-core cannot be installed, or Chromium cannot start.
# Runs beside the other tests: its ports are the guide's plus 600.
# shellcheck source=tests/lib/prologue.sh
. "$(dirname "$0")/../lib/prologue.sh"
set -euo pipefail
export PAXOS_PORT_OFFSET=600
# shellcheck source-path=SCRIPTDIR source=../integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

PLAYWRIGHT_VERSION=1.61.1     # the last to run on Debian 12's Node.js 18
CHROMIUM=${PAXOS_CHROMIUM:-/usr/bin/chromium}
NPM_DIR=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/paxos-test/playwright
PAGE_MJS="$T_LIB_DIR/../browser/page.mjs"
T_START=$(t_now_ms)

# ------------------------------------------------------------ prerequisites

for tool in node npm flock timeout; do
    command -v "$tool" >/dev/null 2>&1 ||
        t_skip "$tool is not installed (scripts/install-deps.sh installs it)"
done
[[ -x "$CHROMIUM" ]] ||
    t_skip "no Chromium at $CHROMIUM (scripts/install-deps.sh installs Debian's chromium)"

# playwright-core, once per version, under a lock (tests may run at once).
installed_version() {
    node -p "require('$NPM_DIR/node_modules/playwright-core/package.json').version" 2>/dev/null
}
if [[ "$(installed_version)" != "$PLAYWRIGHT_VERSION" ]]; then
    mkdir -p "$NPM_DIR" || t_skip "cannot create $NPM_DIR"
    if ! out=$(flock "$NPM_DIR" env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
            npm install --prefix "$NPM_DIR" --no-audit --no-fund --loglevel=error \
            "playwright-core@$PLAYWRIGHT_VERSION" 2>&1) ||
       [[ "$(installed_version)" != "$PLAYWRIGHT_VERSION" ]]; then
        t_skip "cannot install playwright-core $PLAYWRIGHT_VERSION with npm into $NPM_DIR:
$(printf '%s\n' "$out" | tail -n 5)"
    fi
fi
export PAXOS_NPM_DIR=$NPM_DIR PAXOS_CHROMIUM=$CHROMIUM
if ! out=$(timeout 120 node "$PAGE_MJS" --probe 2>&1); then
    t_skip "Chromium ($CHROMIUM) cannot start under playwright-core:
$(printf '%s\n' "$out" | tail -n 5)"
fi

# ------------------------------------------------------------ the cluster

t_init
t_say "$out"
t_require_free_ports
t_cluster_up
LEADER=$(t_leader) || t_abort "one proposer leads" "$(t_leaders)"
TAG=$$
# A few values from the other client, so that the log is not the page's alone.
for fruit in apple banana cherry; do
    t_send client2 "$fruit"
    [[ "$HTTP_CODE" == 200 ]] || t_abort "a write through client2 succeeds" "$HTTP_CODE $HTTP_BODY"
done

# ------------------------------------------------------------ how it is served

# header NAME: the header's value in $T_TMP/headers (curl -D).
header() {
    tr -d '\r' <"$T_TMP/headers" | awk -v h="$1" '
        tolower($0) ~ "^" tolower(h) ":" { sub(/^[^:]*: */, ""); print; exit }'
}

# serve PATH [CURL_ARGS...]: "CODE|Content-Type|Cache-Control" of client1's PATH.
serve() {
    local path=$1 code
    shift
    : >"$T_TMP/body"    # curl writes nothing on a 304
    code=$(curl -s -D "$T_TMP/headers" -o "$T_TMP/body" -w '%{http_code}' \
        -m "$(t_secs 10)" "$@" "$(t_url client1 "$path")") || true
    printf '%s|%s|%s\n' "$code" "$(header Content-Type)" "$(header Cache-Control)"
}

t_expect "GET / is the page, never cached unchecked" \
    "$(serve /)" "200|text/html; charset=utf-8|no-cache"
if grep -q '<title>' "$T_TMP/body" &&
   ! grep -E -q '(src|href)="(/|https?:)' "$T_TMP/body"; then
    t_pass "the page names its files by relative URLs only"
else
    t_fail "the page names its files by relative URLs only" \
        "$(grep -E '(src|href)="' "$T_TMP/body")"
fi
t_expect "GET /index.html is the same page" "$(serve /index.html)" \
    "200|text/html; charset=utf-8|no-cache"
t_expect "GET /app.css is CSS" "$(serve /app.css)" "200|text/css|no-cache"
t_expect "GET /app.js is JavaScript" "$(serve /app.js)" \
    "200|application/javascript|no-cache"
etag=$(header ETag)
if [[ "$etag" =~ ^\"[0-9]+-[0-9]+\"$ ]]; then
    t_pass "app.js has an ETag ($etag)"
else
    t_fail "app.js has an ETag" "ETag: '$etag'"
fi
t_expect "GET /app.js with If-None-Match: its ETag answers 304 with no body" \
    "$(serve /app.js -H "If-None-Match: $etag")|$(wc -c <"$T_TMP/body")" \
    "304|application/javascript|no-cache|0"
t_expect "a stale ETag gets the file again" \
    "$(serve /app.js -H 'If-None-Match: "1-1"')" "200|application/javascript|no-cache"
t_http GET proposer1 /
t_expect "only client nodes serve the page (a proposer: 404)" "$HTTP_CODE" 404

# ------------------------------------------------------------ in Chromium

OUT_DIR=$(cd "$(dirname "$PAXOSD")" && pwd)/tests/browser
mkdir -p "$OUT_DIR"
XSS='<script>window.paxosXss=1;alert("script")</script><img src=x onerror="window.paxosXss=2;alert(1)">'
t_say "# Chromium: $CHROMIUM, playwright-core $PLAYWRIGHT_VERSION"
set +e
PAGE_URL=$(t_url client1 /) PAGE_LEADER=$LEADER PAGE_TAG=$TAG PAGE_XSS=$XSS \
    PAGE_SHOT="$OUT_DIR/page.png" PAGE_SHOT_PHONE="$OUT_DIR/page-phone.png" \
    PAGE_SCALE=$T_SCALE timeout $(( 300 * T_SCALE )) node "$PAGE_MJS" >"$T_TMP/page.out" 2>&1
rc=$?
set -e
checks=0
while IFS= read -r line; do
    case $line in
        "ok   - "*) t_pass "${line#ok   - }"; checks=$((checks + 1)) ;;
        "FAIL - "*) t_fail "${line#FAIL - }"; checks=$((checks + 1)) ;;
        *) t_say "$line" ;;
    esac
done <"$T_TMP/page.out"
if [[ $rc -ne 0 && $T_FAIL -eq 0 ]] || [[ $checks -eq 0 ]]; then
    t_fail "page.mjs ran to its end" "exit status $rc"
fi

# The learners hold the browser's values byte for byte.
log=$(t_values learner1)
t_expect "learner1's log holds the HTML value exactly once, as written" \
    "$(t_count_value "$log" "$XSS")" 1
t_expect "and the value written under the prefix" \
    "$(t_count_value "$log" "under the prefix $TAG")" 1

t_local down >/dev/null 2>&1 || t_fail "paxos-local.sh down stops the cluster"
if report=$(t_grep_sanitizers); then
    t_pass "no sanitizer report in any node's log"
else
    t_fail "no sanitizer report in any node's log" "$report"
fi
t_say "# screenshots: $OUT_DIR/page.png $OUT_DIR/page-phone.png"
t_say "# test took $(( ($(t_now_ms) - T_START) / 1000 )) s"
t_finish
exit $?
