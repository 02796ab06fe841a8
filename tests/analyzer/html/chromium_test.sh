#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Opens the HTML report of the golden dumps in headless Chromium and checks what a person would
# see: the page rendered with no JavaScript error, the top suspect of `leakscope trend` by its
# allocating caller, its chart, the memory chart and the flame graph; and that opening it makes
# no network request. Saves a screenshot as BUILD_DIR/html_report.png.
# Also: labelled dumps (made by MAKE_GOLDEN_DUMPS --labelled) are marked on the memory chart.
#   chromium_test.sh LEAKSCOPE GOLDEN_DIR BUILD_DIR MAKE_GOLDEN_DUMPS
# Exits 77 (skipped) when Chromium is not installed (Debian: apt-get install chromium).
set -u
leakscope=$1 golden=$2 build=$3 make_dumps=$4
here=$(cd "$(dirname "$0")" && pwd)

browser=""
for candidate in chromium chromium-browser; do
  if command -v "$candidate" >/dev/null; then
    browser=$candidate
    break
  fi
done
if [ -z "$browser" ]; then
  echo "chromium not found (Debian package: chromium; scripts/install-deps installs it); skipped"
  exit 77
fi

work="$build/html_chromium"
rm -rf "$work"
mkdir -p "$work"
failed=0
fail() {
  echo "FAIL: $*"
  failed=1
}

"$leakscope" html -q "$golden" -o "$work/report.html" || { echo "leakscope html failed"; exit 1; }
"$leakscope" trend -q --format json "$golden" >"$work/trend.json"
top=$(cmake -DJSON_FILE="$work/trend.json" -P "$here/top_suspect.cmake")
[ -n "$top" ] || { echo "no top suspect in trend output"; exit 1; }

# A fresh profile per run; the blocked proxy (port 9, discard) keeps any request on the
# machine, and the net log records every request the page starts.
run_browser() {  # NAME PAGE EXTRA-ARGS...
  local name=$1 page=$2
  shift 2
  timeout 90 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile-$name" --proxy-server=127.0.0.1:9 \
    --enable-logging=stderr --v=0 --log-net-log="$work/netlog-$name.json" \
    "$@" "file://$page" 2>"$work/browser-$name.log"
}

# Opens PAGE (a path, perhaps with a #fragment) as NAME with the DOM dumped: writes what it drew
# (the DOM without the script blocks, which hold the data and the code) to rendered-NAME.html and
# checks that it logged no JavaScript error.
render_page() {  # NAME PAGE
  local name=$1 page=$2
  run_browser "$name" "$page" --window-size=1280,1600 --dump-dom >"$work/dom-$name.html" ||
    fail "chromium --dump-dom ($name) exited with $?"
  local rendered="$work/rendered-$name.html"
  perl -0777 -pe 's{<script\b.*?</script>}{}gs' "$work/dom-$name.html" >"$rendered"
  grep -q '<pre id="errors"></pre>' "$rendered" ||
    fail "JavaScript errors ($name): $(grep -o '<pre id="errors">[^<]*' "$rendered")"
}

# Requests made for the page (not the browser's own): their network isolation key is the
# page's origin, file://.
page_requests() {  # NETLOG
  grep '"network_isolation_key":"file://' "$1" | grep -o '"url":"[^"]*"' | sed 's/^/  /'
}

render_page dom "$work/report.html"
rendered="$work/rendered-dom.html"
grep -q '<body data-rendered="true">' "$rendered" || fail "the page script did not finish"
grep -q "<td class=\"fn mono\">$top" "$rendered" ||
  fail "the top suspect's caller $top is not in the suspects table"
grep -q '<svg class="spark" id="suspect-chart-1"' "$rendered" ||
  fail "no chart for the top suspect"
grep -q '<svg class="memory" id="memory-chart-0"' "$rendered" || fail "no memory chart"
grep -q '<svg id="flamegraph" class="flamegraph" width="[0-9]*" height="[0-9]*"' \
  "$rendered" || fail "no flame graph"
grep -q "<g data-n=\"[0-9]*\"><rect [^>]*></rect><text [^>]*>$top<" "$rendered" ||
  fail "the flame graph has no frame $top"
grep -q '<table id="stream-table">' "$rendered" || fail "no zlib stream table"
if grep -q ':CONSOLE' "$work/browser-dom.log"; then
  fail "console messages: $(grep ':CONSOLE' "$work/browser-dom.log")"
fi
requests=$(page_requests "$work/netlog-dom.json")
[ -z "$requests" ] || fail "the page made network requests:
$requests"
[ -s "$work/netlog-dom.json" ] || fail "chromium wrote no net log"

# A link into the report opens the top suspect's stack and searches the flame graph for its
# caller: the same code as a click on its row and typing into the search box. In the golden
# dumps the caller holds 8.50 MiB of the 16.3 MiB live in the last dumps.
encoded=$(printf '%s' "$top" | sed 's/+/%2B/g')
render_page link "$work/report.html#suspect=1&search=$encoded"
grep -q '<tr class="site" id="suspect-1" aria-expanded="true">' "$work/rendered-link.html" ||
  fail "#suspect=1 did not open the top suspect's stack"
perl -0777 -ne 'exit(m{id="suspect-1" aria-expanded="true">.*?</tr><tr class="detail"><td [^>]*><ol class="stack">.*?<span class="fname">\Q'"$top"'\E</span>}s ? 0 : 1)' \
  "$work/rendered-link.html" || fail "the open stack does not show $top"
grep -q '<span id="flame-match">matched 8.50 MiB (52.1%)</span>' "$work/rendered-link.html" ||
  fail "search: $(grep -o '<span id="flame-match">[^<]*' "$work/rendered-link.html")"
grep -q 'fill="#d63cf0"></rect><text [^>]*>'"$top"'<' "$work/rendered-link.html" ||
  fail "the flame graph does not highlight $top"

# The growth flame graph: the caller grew by 5 MiB in pid 4242 and 1.88 MiB in pid 5151, of
# 10.1 MiB of growth in all.
render_page growth "$work/report.html#flame=growth&search=$encoded"
grep -q '<button id="flame-growth" class="on">' "$work/rendered-growth.html" ||
  fail "#flame=growth did not show the growth flame graph"
grep -q '<span id="flame-match">matched 6.88 MiB (68.2%)</span>' "$work/rendered-growth.html" ||
  fail "growth search: $(grep -o '<span id="flame-match">[^<]*' "$work/rendered-growth.html")"

# The Java golden dumps: the summary says, per process, how many of the JVMTI agent's stack walks
# gave Java frames and why the others gave none, as `trend` prints it.
"$leakscope" html -q "$golden/../golden_java" -o "$work/report-java.html" ||
  fail "leakscope html of the Java dumps failed"
render_page java "$work/report-java.html"
grep -q 'Java frames on 300 of 356 stack walks (no frames: 2 gc_active, 51 unknown_not_java, 2 deoptimization, 1 unencodable)' \
  "$work/rendered-java.html" ||
  fail "Java walks summary: $(grep -o 'Java frames on[^<]*' "$work/rendered-java.html")"

# Labelled dumps (leakscope dump --label) are marked on the memory chart's time axis, one dashed
# line each with the label; the golden series above has none.
grep -q 'class="dump-label"' "$rendered" && fail "a dump-label mark on a page of unlabelled dumps"
mkdir -p "$work/labelled" && "$make_dumps" --labelled "$work/labelled" || fail "make_golden_dumps --labelled failed"
"$leakscope" html -q "$work/labelled" -o "$work/report-labelled.html" ||
  fail "leakscope html of the labelled dumps failed"
render_page labelled "$work/report-labelled.html"
marks=$(grep -o '<g class="dump-label">' "$work/rendered-labelled.html" | wc -l)
[ "$marks" -eq 2 ] || fail "$marks dump-label marks, expected 2"
for n in 2 4; do
  grep -q ">batch $n</text><title>batch $n (dump #$n)</title></g>" \
    "$work/rendered-labelled.html" || fail "no mark for the dump labelled batch $n"
done

# The net log check must be able to fail: the same page without its Content-Security-Policy and
# with an image from the network shows up in the net log.
sed -e '/Content-Security-Policy/d' \
  -e 's|<footer>|<footer><img src="http://192.0.2.1/leakscope-test.png">|' \
  "$work/report.html" >"$work/fetching.html"
run_browser control "$work/fetching.html" --dump-dom >/dev/null
page_requests "$work/netlog-control.json" | grep -q '192.0.2.1/leakscope-test.png' ||
  fail "the net log check does not see a page's request (did Chromium's net log format change?)"

run_browser shot "$work/report.html" --window-size=1280,1600 --hide-scrollbars \
  --screenshot="$build/html_report.png" >/dev/null || fail "chromium --screenshot exited with $?"
[ -s "$build/html_report.png" ] || fail "no screenshot"

if [ "$failed" -ne 0 ]; then
  echo "(files in $work)"
  exit 1
fi
echo "rendered without errors or requests; top suspect $top; screenshot $build/html_report.png"
