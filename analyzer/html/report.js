// SPDX-License-Identifier: Apache-2.0
// Draws the leakscope HTML report from the JSON in #leakscope-data (docs/html.md). Plain
// browser JavaScript with no library: the page must open offline from one file. Charts are SVG
// markup strings (the HTML parser puts <svg> in the SVG namespace), so a page of many stacks is
// drawn with a few innerHTML assignments rather than thousands of DOM calls.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('leakscope-data').textContent);

  // ---- Formatting -------------------------------------------------------------------------

  function esc(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  // printf's rounding (ties to even), so that the page shows the figures of the text output.
  function fixed(v, digits) {
    var scale = Math.pow(10, digits);
    var m = v * scale;
    var r = Math.round(m);
    if (m - Math.floor(m) === 0.5 && r % 2 !== 0) r -= 1;
    return (r / scale).toFixed(digits);
  }

  // As the text output: three significant digits, binary units ("512 B", "1.50 KiB").
  function bytes(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    var negative = n < 0;
    var v = Math.abs(n);
    var u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    var text = u === 0 ? String(Math.round(v)) : fixed(v, v >= 100 ? 0 : v >= 10 ? 1 : 2);
    return (negative ? '-' : '') + text + ' ' + units[u];
  }

  function rate(bytesPerMin) {
    return (bytesPerMin > 0 ? '+' : '') + bytes(Math.round(bytesPerMin)) + '/min';
  }

  function duration(ns) {
    var s = ns / 1e9;
    if (s < 120) return (Math.round(s * 10) / 10) + ' s';
    if (s < 7200) return (Math.round(s / 6) / 10) + ' min';
    return (Math.round(s / 360) / 10) + ' h';
  }

  // As the text outputs write an age (units.h HumanAge): "42s", "3m10s", "2h", "3d4h".
  function age(seconds) {
    var units = [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']];
    for (var i = 0; i + 1 < units.length; i++) {
      if (seconds < units[i][0]) continue;
      var rest = Math.floor((seconds % units[i][0]) / units[i + 1][0]);
      return Math.floor(seconds / units[i][0]) + units[i][1] + (rest ? rest + units[i + 1][1] : '');
    }
    return seconds + 's';
  }

  // "median age 3m10s, oldest 2h" for a site whose last dump says (format version 2), else ''.
  function ageNote(s) {
    if (s.median_age_s === null || s.median_age_s === undefined) return '';
    return '<br><span class="note age">median age ' + age(s.median_age_s) + ', oldest ' +
        age(s.oldest_age_s) + '</span>';
  }

  function plural(n, noun) {
    return n.toLocaleString('en-US') + ' ' + noun + (n === 1 ? '' : /s$/.test(noun) ? 'es' : 's');
  }

  function processName(p) {
    return 'pid ' + p.pid + (p.host ? ' on ' + esc(p.host) : '');
  }

  function minutes(ns) {
    return ns / 60e9;
  }

  // ---- Stacks ------------------------------------------------------------------------------

  function frameWhere(f) {
    var where = [];
    if (f.file) where.push(f.file + (f.line ? ':' + f.line : ''));
    if (f.module && f.kind !== 'java' && f.module !== f['function']) {
      where.push(f.module.replace(/^.*\//, ''));
    }
    return where.join('  ');
  }

  // The allocating caller, which names a site in the tables.
  function callerOf(site) {
    var i = site.caller_index >= 0 ? site.caller_index : 0;
    return site.frames[i] || {function: '[no stack]', kind: 'native'};
  }

  function stackHtml(site) {
    var html = '<ol class="stack">';
    site.frames.forEach(function (f, i) {
      var cls = (f.kind === 'java' ? 'java' : 'native') + (f.allocator ? ' alloc' : '');
      html += '<li class="' + cls + '"><span class="mark">' + (i === site.caller_index ? '&gt;' : '') +
          '</span>#' + i + ' <span class="fname">' + esc(f['function']) + '</span>' +
          (f.inlined ? ' <span class="where">(inlined)</span>' : '') +
          '  <span class="where">' + esc(frameWhere(f)) + '</span></li>';
    });
    return html + '</ol>';
  }

  // ---- Small charts ------------------------------------------------------------------------

  var seriesColours = ['#b3261e', '#1f5fa8', '#2e7d32', '#8e44ad', '#c77700', '#00838f'];

  // One line per process: x = minutes since the process's first dump, y = value.
  function sparkline(series, key, width, height, id) {
    var maxX = 0, maxY = 0;
    series.forEach(function (s) {
      var t = data.processes[s.process].points.time_ns;
      maxX = Math.max(maxX, minutes(t[t.length - 1] || 0));
      s[key].forEach(function (v) { maxY = Math.max(maxY, v); });
    });
    var pad = 3;
    var svg = '<svg class="spark"' + (id ? ' id="' + id + '"' : '') + ' width="' + width +
        '" height="' + height + '" viewBox="0 0 ' + width + ' ' + height + '">';
    svg += '<line x1="0" y1="' + (height - 0.5) + '" x2="' + width + '" y2="' + (height - 0.5) +
        '" stroke="#d9dde4"/>';
    series.forEach(function (s, k) {
      var t = data.processes[s.process].points.time_ns;
      var pts = s[key].map(function (v, i) {
        var x = maxX > 0 ? pad + (width - 2 * pad) * minutes(t[i]) / maxX : width / 2;
        var y = maxY > 0 ? height - pad - (height - 2 * pad) * v / maxY : height - pad;
        return x.toFixed(1) + ',' + y.toFixed(1);
      });
      var colour = seriesColours[k % seriesColours.length];
      svg += '<polyline fill="none" stroke="' + colour + '" stroke-width="1.5" points="' +
          pts.join(' ') + '"/>';
      pts.forEach(function (p) {
        var xy = p.split(',');
        svg += '<circle cx="' + xy[0] + '" cy="' + xy[1] + '" r="1.6" fill="' + colour + '"/>';
      });
    });
    svg += '<title>' + esc('max ' + bytes(maxY) + ' over ' + (Math.round(maxX * 10) / 10) + ' min') +
        '</title></svg>';
    return svg;
  }

  // Shows or hides the detail row (the stack) after a clickable row.
  function toggleDetails(row) {
    var detail = row.nextElementSibling;
    if (detail && detail.classList.contains('detail')) {
      detail.hidden = !detail.hidden;
      row.setAttribute('aria-expanded', String(!detail.hidden));
    }
  }

  function wireDetails(table) {
    table.addEventListener('click', function (event) {
      var row = event.target.closest('tr.site');
      if (row) toggleDetails(row);
    });
  }

  // ---- Summary -----------------------------------------------------------------------------

  // The JVMTI agent's Java stack walks, as `trend` prints them: "; Java frames on N of M stack
  // walks (no frames: ...)". Empty without the agent.
  function javaWalks(java) {
    if (!java) return '';
    if (!java.frames_on) return '; JVMTI agent loaded, but no Java frames (no AsyncGetCallTrace)';
    var total = java.unencodable || 0, failed = [];
    Object.keys(java.walks).forEach(function (reason) {
      var n = java.walks[reason];
      total += n;
      if (reason !== 'frames' && n > 0) failed.push(n.toLocaleString('en-US') + ' ' + reason);
    });
    if (java.unencodable > 0) failed.push(java.unencodable.toLocaleString('en-US') + ' unencodable');
    return '; Java frames on ' + java.walks.frames.toLocaleString('en-US') + ' of ' +
        plural(total, 'stack walk') + (failed.length ? ' (no frames: ' + esc(failed.join(', ')) + ')' : '');
  }

  function renderSummary() {
    var el = document.getElementById('summary');
    var html = '<div>' + plural(data.processes.length, 'process') + ', ' +
        plural(data.dumps_read, 'dump') + ' read</div>';
    data.processes.forEach(function (p) {
      html += '<div class="proc">' + processName(p) + (p.executable ? ' (' + esc(p.executable) + ')' : '') + ': ' + plural(p.dumps || p.points.seq.length, 'dump') +
          ' over ' + duration(p.duration_ns || 0) + '; RSS ' + bytes(p.first_rss_bytes || 0) +
          ' → ' + bytes(p.last_rss_bytes || 0) + ', live at sites ' +
          bytes(p.last_live_bytes || 0) + javaWalks(p.java) + '</div>';
    });
    el.innerHTML = html;
    if (data.errors.length) {
      var errors = document.createElement('div');
      errors.id = 'file-errors';
      errors.textContent = 'Unreadable files:\n' + data.errors.join('\n');
      el.appendChild(errors);
    }
  }

  // ---- Suspects ----------------------------------------------------------------------------

  // What a trend site's figures rest on (docs/json.md, trend: evidence).
  function evidenceText(s) {
    if (s.evidence === 'exact' || s.samples === undefined) return 'every allocation recorded';
    return plural(s.samples, 'sample') + ': ' + s.sampled_births + ' new, ' +
        (s.sampled_deaths ? s.sampled_deaths : 'none') + ' freed';
  }

  function renderPossibleGrowth(section) {
    if (!data.possible_growth || !data.possible_growth.length) return;
    var html = '<h3>Possible growth, not yet significant</h3><p class="note">' +
        plural(data.possible_growth_count, 'site') + ' grew in the samples, too few to tell ' +
        'from a cache or a working set. Click a row for its stack.</p>' +
        '<table id="possible-table"><thead><tr><th class="num">?</th><th>allocating caller</th>' +
        '<th class="num">growth</th><th>evidence</th><th>what would settle it</th>' +
        '</tr></thead><tbody>';
    data.possible_growth.forEach(function (s) {
      var caller = callerOf(s);
      var settle = s.stopped ? 'grew, then stopped (a cache that filled?)' :
          s.settling_sample_bytes ? 'about ' + s.samples_needed +
          ' samples: LEAKSCOPE_SAMPLE_BYTES=' + sampleBytesSetting(s.settling_sample_bytes) : '';
      html += '<tr class="site" id="possible-' + s.rank + '" aria-expanded="false">' +
          '<td class="num">' + s.rank + '</td>' +
          '<td class="fn mono">' + esc(caller['function']) +
          (frameWhere(caller) ? ' <span class="loc">' + esc(frameWhere(caller)) + '</span>' : '') +
          '</td><td class="num">' + rate(s.growth_bytes_per_min) + '</td>' +
          '<td>' + esc(evidenceText(s)) + '</td><td>' + esc(settle) + '</td></tr>' +
          '<tr class="detail" hidden><td colspan="5">' + stackHtml(s) + '</td></tr>';
    });
    html += '</tbody></table>';
    section.insertAdjacentHTML('beforeend', html);
    wireDetails(document.getElementById('possible-table'));
  }

  function sampleBytesSetting(n) {
    if (n >= 1048576 && n % 1048576 === 0) return (n / 1048576) + 'M';
    if (n >= 1024 && n % 1024 === 0) return (n / 1024) + 'K';
    return String(n);
  }

  function renderSuspects() {
    var section = document.getElementById('suspects');
    var multi = data.processes.length > 1;
    if (!data.suspects.length) {
      var why = data.processes.every(function (p) { return p.points.seq.length < 2; }) ?
          'a trend needs at least two dumps of a process.' :
          'no call site grew steadily across the dumps.';
      section.insertAdjacentHTML('beforeend', '<p class="note" id="no-suspects">No leak suspects: ' +
          why + '</p>');
      renderPossibleGrowth(section);
      return;
    }
    var note = data.suspect_count + (data.suspect_count === 1 ? ' site grows' : ' sites grow') +
        ' steadily' + (data.suspects.length < data.suspect_count ? '; the ' + data.suspects.length +
        ' fastest are listed' : '') + '. Click a row for its stack (innermost first; &gt; marks ' +
        'the allocating caller). Charts: live bytes at each dump' +
        (multi ? ', one line per process' : '') + '.';
    var html = '<p class="note">' + note + '</p><table id="suspect-table"><thead><tr>' +
        '<th class="num">#</th><th>allocating caller</th><th class="num">growth</th>' +
        '<th class="num">live, last dump</th><th class="num">grew</th>' +
        (multi ? '<th class="num">processes</th>' : '') + '<th>live bytes over time</th>' +
        '</tr></thead><tbody>';
    data.suspects.forEach(function (s) {
      var caller = callerOf(s);
      var columns = multi ? 7 : 6;
      html += '<tr class="site" id="suspect-' + s.rank + '" aria-expanded="false">' +
          '<td class="num">' + s.rank + '</td>' +
          '<td class="fn mono">' + esc(caller['function']) +
          (frameWhere(caller) ? ' <span class="loc">' + esc(frameWhere(caller)) + '</span>' : '') +
          '</td><td class="num">' + rate(s.growth_bytes_per_min) + '<br><span class="note">' +
          esc(evidenceText(s)) + '</span></td>' +
          '<td class="num">' + bytes(s.live_bytes_last) + '<br><span class="note">' +
          plural(s.live_count_last, 'allocation') + '</span>' + ageNote(s) + '</td>' +
          '<td class="num">' + s.grew_intervals + ' of ' + s.intervals + '</td>' +
          (multi ? '<td class="num">' + s.processes + ' of ' + data.processes.length + '</td>' : '') +
          '<td>' + sparkline(s.series, 'live_bytes', 180, 40, 'suspect-chart-' + s.rank) + '</td></tr>' +
          '<tr class="detail" hidden><td colspan="' + columns + '">' + stackHtml(s) + '</td></tr>';
    });
    html += '</tbody></table>';
    section.insertAdjacentHTML('beforeend', html);
    wireDetails(document.getElementById('suspect-table'));
    renderPossibleGrowth(section);
  }

  // ---- Memory over time --------------------------------------------------------------------

  // Bottom to top. What RSS is made of, so that a leak (live bytes growing) can be told from
  // allocator retention (free bytes held) and from memory malloc does not see at all.
  var memoryLayers = [
    {name: 'live at sites (leakscope)', colour: '#b3261e'},
    {name: 'malloc in use, not at sites', colour: '#e8a09a'},
    {name: 'malloc free, held', colour: '#f2c14e'},
    {name: 'rest of RSS (JVM heap, code, stacks, mappings)', colour: '#9db4d3'}
  ];

  function memoryValues(pts, i) {
    var live = pts.live_bytes[i];
    var inUse = Math.max(0, pts.malloc_in_use_bytes[i] - live);
    var free = pts.malloc_free_bytes[i];
    var rest = Math.max(0, pts.rss_bytes[i] - live - inUse - free);
    return [live, inUse, free, rest];
  }

  function niceStep(max, ticks) {
    var raw = max / ticks;
    var base = Math.pow(1024, Math.floor(Math.log(Math.max(raw, 1)) / Math.log(1024)));
    var steps = [1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * base >= raw) return steps[i] * base;
    }
    return raw;
  }

  function memoryChart(p, index) {
    var pts = p.points;
    var n = pts.seq.length;
    var width = 600, height = 240, left = 70, right = 28, top = 10, bottom = 30;
    var plotW = width - left - right, plotH = height - top - bottom;
    var maxX = minutes(pts.time_ns[n - 1]);
    var maxY = 1;
    for (var i = 0; i < n; i++) {
      var total = memoryValues(pts, i).reduce(function (a, b) { return a + b; }, 0);
      maxY = Math.max(maxY, total, pts.rss_bytes[i]);
    }
    var step = niceStep(maxY, 4);
    maxY = Math.ceil(maxY / step) * step;
    function x(i) {
      if (n === 1) return left + plotW / 2;
      return left + plotW * (maxX > 0 ? minutes(pts.time_ns[i]) / maxX : i / (n - 1));
    }
    function y(v) { return top + plotH - plotH * v / maxY; }
    var svg = '<svg class="memory" id="memory-chart-' + index + '" width="' + width + '" height="' +
        height + '" viewBox="0 0 ' + width + ' ' + height + '">';
    for (var t = 0; t <= maxY + 0.5; t += step) {
      svg += '<line x1="' + left + '" x2="' + (width - right) + '" y1="' + y(t).toFixed(1) +
          '" y2="' + y(t).toFixed(1) + '" stroke="#eceef2"/>' +
          '<text x="' + (left - 6) + '" y="' + (y(t) + 4).toFixed(1) + '" text-anchor="end">' +
          bytes(t) + '</text>';
    }
    var base = new Array(n).fill(0);
    memoryLayers.forEach(function (layer, k) {
      var upper = base.map(function (b, i) { return b + memoryValues(pts, i)[k]; });
      if (n === 1) {
        var bw = Math.min(80, plotW / 3);
        svg += '<rect x="' + (x(0) - bw / 2) + '" y="' + y(upper[0]).toFixed(1) + '" width="' + bw +
            '" height="' + (y(base[0]) - y(upper[0])).toFixed(1) + '" fill="' + layer.colour + '">' +
            '<title>' + esc(layer.name + ': ' + bytes(upper[0] - base[0])) + '</title></rect>';
      } else {
        var path = 'M';
        for (var i = 0; i < n; i++) path += x(i).toFixed(1) + ',' + y(upper[i]).toFixed(1) + ' L';
        for (var j = n - 1; j >= 0; j--) {
          path += x(j).toFixed(1) + ',' + y(base[j]).toFixed(1) + (j > 0 ? ' L' : ' Z');
        }
        svg += '<path d="' + path + '" fill="' + layer.colour + '"><title>' +
            esc(layer.name + ' at the last dump: ' + bytes(upper[n - 1] - base[n - 1])) +
            '</title></path>';
      }
      base = upper;
    });
    // RSS as a line: the layers can exceed it (malloc's heap is not all resident).
    var rss = [];
    for (var r = 0; r < n; r++) rss.push(x(r).toFixed(1) + ',' + y(pts.rss_bytes[r]).toFixed(1));
    svg += n > 1 ? '<polyline fill="none" stroke="#1d2330" stroke-width="1.5" stroke-dasharray="4 3" points="' +
        rss.join(' ') + '"><title>RSS</title></polyline>' : '';
    svg += '<line x1="' + left + '" x2="' + (width - right) + '" y1="' + (top + plotH) + '" y2="' +
        (top + plotH) + '" stroke="#5d6675"/>';
    // Labelled dumps (`leakscope dump --label`) on the time axis: a dashed line at the dump's
    // point, the label beside it (cut) and whole on hover.
    (p.labels || []).forEach(function (l) {
      var at = pts.seq.indexOf(l.seq);
      if (at < 0) return;
      var lx = x(at).toFixed(1);
      var shown = l.label.length > 16 ? l.label.slice(0, 15) + '\u2026' : l.label;
      svg += '<g class="dump-label"><line x1="' + lx + '" x2="' + lx + '" y1="' + top + '" y2="' +
          (top + plotH) + '" stroke="#1f5fa8" stroke-dasharray="3 2"/>' +
          '<text x="' + lx + '" y="' + (top + 9) + '" dx="3" font-size="10" fill="#1f5fa8">' +
          esc(shown) + '</text><title>' + esc(l.label + ' (dump #' + l.seq + ')') + '</title></g>';
    });
    // Time since the process's first dump, in seconds for short series.
    var seconds = maxX < 2;
    var xTicks = n > 1 ? 4 : 0;
    for (var k = 0; k <= xTicks; k++) {
      var m = maxX * k / Math.max(xTicks, 1);
      var xx = n > 1 ? left + plotW * k / xTicks : left + plotW / 2;
      svg += '<text x="' + xx.toFixed(1) + '" y="' + (height - 10) + '" text-anchor="middle">' +
          (seconds ? Math.round(m * 60) + ' s' : (Math.round(m * 10) / 10) + ' min') + '</text>';
    }
    svg += '</svg>';
    var last = memoryValues(pts, n - 1);
    return '<div class="memory-chart"><div class="title">' + processName(p) + '</div>' + svg + '<div class="note">last dump: RSS ' + bytes(pts.rss_bytes[n - 1]) +
        '; live at sites ' + bytes(last[0]) + ', malloc free held ' + bytes(last[2]) + '</div></div>';
  }

  function renderMemory() {
    var section = document.getElementById('memory');
    var legend = '<div class="legend">' + memoryLayers.map(function (l) {
      return '<span><i style="background:' + l.colour + '"></i>' + esc(l.name) + '</span>';
    }).join('') + '<span><i style="border-top:2px dashed #1d2330;height:0;margin-bottom:4px"></i>RSS</span></div>';
    var shown = data.processes.slice(0, 12);
    var html = '<p class="note">Stacked: what each process\'s resident memory is made of at every dump. ' +
        'Growing live bytes point to a leak; growing free-but-held bytes to allocator retention.' +
        (data.processes.length > shown.length ? ' The first ' + shown.length + ' of ' +
        data.processes.length + ' processes are shown.' : '') + '</p>' + legend;
    shown.forEach(function (p, i) { html += memoryChart(p, i); });
    section.insertAdjacentHTML('beforeend', html);
  }

  // ---- Flame graph -------------------------------------------------------------------------

  var frames = data.flame.frames;  // [name, module, kind, location, allocator]

  // Nested [frame, value, [children]] arrays into flat arrays, without recursion (deep stacks).
  function flatten(tree, total) {
    var g = {frame: [-1], value: [total], parent: [-1], depth: [0], children: [[]], maxDepth: 0};
    var todo = [[tree, 0]];
    while (todo.length) {
      var item = todo.pop();
      var list = item[0], parent = item[1];
      for (var i = 0; i < list.length; i++) {
        var node = list[i];
        var id = g.frame.length;
        g.frame.push(node[0]);
        g.value.push(node[1]);
        g.parent.push(parent);
        g.depth.push(g.depth[parent] + 1);
        g.children.push([]);
        g.children[parent].push(id);
        g.maxDepth = Math.max(g.maxDepth, g.depth[id]);
        if (node.length > 2) todo.push([node[2], id]);
      }
    }
    return g;
  }

  function hash(text) {
    var h = 0;
    for (var i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0;
    return Math.abs(h);
  }

  // Native frames warm (red to yellow), Java frames green, the allocation machinery grey.
  function frameColour(f) {
    var h = hash(f[0]);
    if (f[4]) return 'hsl(220,8%,' + (68 + h % 12) + '%)';
    if (f[2] === 'java') return 'hsl(' + (95 + h % 45) + ',55%,' + (52 + h % 14) + '%)';
    return 'hsl(' + (h % 50) + ',85%,' + (55 + h % 12) + '%)';
  }

  var flame = {graphs: {}, which: 'live', zoom: 0, search: null};

  function flameGraph() {
    var which = flame.which;
    if (!flame.graphs[which]) {
      var source = data.flame[which];
      flame.graphs[which] = flatten(source.tree, source.total);
    }
    return flame.graphs[which];
  }

  function matches(g, i) {
    return flame.search !== null && i > 0 && flame.search.test(frames[g.frame[i]][0]);
  }

  function renderFlame() {
    var g = flameGraph();
    var svgEl = document.getElementById('flamegraph');
    var width = Math.max(400, svgEl.parentNode.clientWidth || 1200);
    var rowH = 18;
    var zoom = flame.zoom < g.frame.length ? flame.zoom : 0;
    var total = g.value[zoom];
    var html = '';
    var drawn = 0;
    function label(i) { return i === 0 ? 'all (' + bytes(g.value[0]) + ')' : frames[g.frame[i]][0]; }
    function box(i, x, w, depth) {
      var f = i === 0 ? ['all', '', 'native', '', false] : frames[g.frame[i]];
      var fill = matches(g, i) ? '#d63cf0' : i === 0 ? '#c9ced8' : frameColour(f);
      var chars = Math.floor((w - 6) / 6.6);
      var text = label(i);
      if (chars < text.length) text = chars >= 3 ? text.slice(0, chars - 1) + '…' : '';
      html += '<g data-n="' + i + '"><rect x="' + x.toFixed(2) + '" y="' + depth * rowH + '" width="' +
          Math.max(w, 0.5).toFixed(2) + '" height="' + (rowH - 1) + '" fill="' + fill + '"/>' +
          (text ? '<text x="' + (x + 3).toFixed(1) + '" y="' + (depth * rowH + 13) + '">' + esc(text) +
          '</text>' : '') + '</g>';
      drawn++;
    }
    // The zoomed node's callers, full width above it.
    var path = [];
    for (var a = zoom; a >= 0; a = g.parent[a]) path.unshift(a);
    path.forEach(function (n, d) { box(n, 0, width, d); });
    var base = path.length - 1;
    // Its callees, each as wide as its bytes; anything under half a pixel is not drawn.
    var todo = [[zoom, 0]];
    var maxRow = base;
    while (todo.length) {
      var item = todo.pop();
      var node = item[0], x = item[1];
      var children = g.children[node];
      for (var c = 0; c < children.length; c++) {
        var child = children[c];
        var w = width * g.value[child] / total;
        if (w < 0.5) break;  // children are sorted by value: the rest are narrower
        var depth = base + g.depth[child] - g.depth[zoom];
        box(child, x, w, depth);
        maxRow = Math.max(maxRow, depth);
        todo.push([child, x]);
        x += w;
      }
    }
    var height = (maxRow + 1) * rowH + 2;
    svgEl.setAttribute('width', width);
    svgEl.setAttribute('height', height);
    svgEl.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    svgEl.innerHTML = html;
    svgEl.setAttribute('data-drawn', String(drawn));
    var summary = document.getElementById('flame-summary');
    var source = data.flame[flame.which];
    summary.textContent = (flame.which === 'live' ? 'Live bytes in the last dump of each process: ' :
        'Growth of live bytes from the first to the last dump of each process: ') +
        bytes(source.total) + ' in ' + plural(source.nodes, 'call path node') +
        (source.min_value > 0 ? ' (paths under ' + bytes(source.min_value) + ' folded into their caller)' : '') +
        '. Callers above callees; click a frame to zoom, the top row to zoom out.';
    renderSearchResult(g, zoom);
  }

  function renderSearchResult(g, zoom) {
    var el = document.getElementById('flame-match');
    if (flame.search === null) {
      el.textContent = '';
      return;
    }
    // Bytes under matching frames, each counted once (a match under a match adds nothing).
    var matched = 0;
    var todo = [zoom];
    while (todo.length) {
      var n = todo.pop();
      if (matches(g, n)) {
        matched += g.value[n];
        continue;
      }
      g.children[n].forEach(function (c) { todo.push(c); });
    }
    el.textContent = 'matched ' + bytes(matched) + ' (' +
        (g.value[zoom] ? (100 * matched / g.value[zoom]).toFixed(1) : '0') + '%)';
  }

  function flameStatus(i) {
    var g = flameGraph();
    var el = document.getElementById('flame-status');
    if (i === null) {
      el.textContent = '';
      return;
    }
    var f = i === 0 ? ['all', '', '', '', false] : frames[g.frame[i]];
    var where = [f[3], f[1]].filter(Boolean).join('  ');
    el.textContent = f[0] + (where ? '  ' + where : '') + '  —  ' + bytes(g.value[i]) + ' (' +
        (100 * g.value[i] / (g.value[0] || 1)).toFixed(2) + '%)' + (f[2] === 'java' ? '  [java]' : '');
  }

  function renderFlameSection() {
    var section = document.getElementById('flame');
    var growthEmpty = data.flame.growth.total === 0;
    section.insertAdjacentHTML('beforeend',
        '<div class="controls">' +
        '<button id="flame-live" class="on">live, last dump</button>' +
        '<button id="flame-growth"' + (growthEmpty ? ' disabled title="no growth: one dump per process, or nothing grew"' : '') +
        '>growth, first → last dump</button>' +
        '<input id="flame-search" type="search" placeholder="search frames (text, or /regex/)">' +
        '<span id="flame-match"></span>' +
        '<button id="flame-reset">reset zoom</button>' +
        '<span class="legend"><span><i style="background:hsl(20,85%,60%)"></i>native</span>' +
        '<span><i style="background:hsl(115,55%,58%)"></i>java</span>' +
        '<span><i style="background:hsl(220,8%,72%)"></i>allocator</span>' +
        '<span><i style="background:#d63cf0"></i>search match</span></span>' +
        '</div><p class="note" id="flame-summary"></p><div id="flame-status"></div>' +
        '<div id="flame-box"><svg id="flamegraph" class="flamegraph"></svg></div>');
    var svgEl = document.getElementById('flamegraph');
    function target(event) {
      var g = event.target.closest('g[data-n]');
      return g ? Number(g.getAttribute('data-n')) : null;
    }
    svgEl.addEventListener('click', function (event) {
      var n = target(event);
      if (n === null) return;
      // Clicking the zoomed frame (or a caller above it) zooms out to that frame.
      flame.zoom = n;
      renderFlame();
    });
    svgEl.addEventListener('mousemove', function (event) { flameStatus(target(event)); });
    svgEl.addEventListener('mouseleave', function () { flameStatus(null); });
    function choose(which) {
      flame.which = which;
      flame.zoom = 0;
      document.getElementById('flame-live').classList.toggle('on', which === 'live');
      document.getElementById('flame-growth').classList.toggle('on', which === 'growth');
      renderFlame();
    }
    document.getElementById('flame-live').addEventListener('click', function () { choose('live'); });
    document.getElementById('flame-growth').addEventListener('click', function () { choose('growth'); });
    document.getElementById('flame-reset').addEventListener('click', function () {
      flame.zoom = 0;
      renderFlame();
    });
    var search = document.getElementById('flame-search');
    // Plain text, ignoring case (C++ names are full of regular expression characters);
    // /.../ is a regular expression.
    search.addEventListener('input', function () {
      var text = search.value.trim();
      var regex = /^\/(.+)\/$/.exec(text);
      flame.search = null;
      if (regex) {
        try {
          flame.search = new RegExp(regex[1], 'i');
        } catch (e) {
          regex = null;
        }
      }
      if (!regex && text) flame.search = new RegExp(text.replace(/[.*+?^${}()|[\]\\\/]/g, '\\$&'), 'i');
      renderFlame();
    });
    var resizeTimer = 0;
    window.addEventListener('resize', function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(renderFlame, 100);
    });
    renderFlame();
  }

  // ---- zlib streams ------------------------------------------------------------------------

  function renderStreams() {
    var section = document.getElementById('streams');
    if (!data.streams.length) {
      section.insertAdjacentHTML('beforeend', '<p class="note" id="no-streams">No zlib stream was ' +
          'open at any dump (or the process used a zlib the recorder cannot see, such as one built ' +
          'into the JDK; see <code>leakscope report</code>).</p>');
      return;
    }
    var html = '<p class="note">Open zlib streams by opening site; the chart shows their bytes at ' +
        'each dump. Click a row for the stack that opened them.</p><table id="stream-table"><thead><tr>' +
        '<th>opening site</th><th>kind</th><th class="num">open, last dump</th>' +
        '<th class="num">bytes, last dump</th><th class="num">peak bytes</th>' +
        '<th class="num">opened in all</th><th>open bytes over time</th></tr></thead><tbody>';
    data.streams.forEach(function (s, k) {
      var caller = callerOf(s);
      var open = 0, openBytes = 0, opened = 0;
      s.series.forEach(function (p) {
        open += p.open_count[p.open_count.length - 1];
        openBytes += p.open_bytes[p.open_bytes.length - 1];
        opened += p.opened_total;
      });
      html += '<tr class="site"><td class="fn mono">' + esc(caller['function']) + '</td><td>' + s.kind +
          '</td><td class="num">' + open.toLocaleString('en-US') + '</td><td class="num">' +
          bytes(openBytes) + '</td><td class="num">' + bytes(s.max_open_bytes) + '</td><td class="num">' +
          opened.toLocaleString('en-US') + '</td><td>' +
          sparkline(s.series, s.max_open_bytes > 0 ? 'open_bytes' : 'open_count', 180, 40, 'stream-chart-' + (k + 1)) +
          '</td></tr><tr class="detail" hidden><td colspan="7">' + stackHtml(s) + '</td></tr>';
    });
    section.insertAdjacentHTML('beforeend', html + '</tbody></table>');
    wireDetails(document.getElementById('stream-table'));
  }

  // Each part on its own, so one failing still leaves the others (and the error) on the page.
  [renderSummary, renderSuspects, renderMemory, renderFlameSection, renderStreams].forEach(function (part) {
    try {
      part();
    } catch (e) {
      document.getElementById('errors').textContent += 'JavaScript error in ' + part.name + ': ' +
          (e && e.stack ? e.stack : e) + '\n';
    }
  });
  // Links into a report: #suspect=2 opens the stack of suspect 2, #search=inflate highlights the
  // matching frames in the flame graph, #flame=growth shows the growth flame graph.
  function applyHash() {
    var params = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (part) {
      var eq = part.indexOf('=');
      if (eq > 0) params[decodeURIComponent(part.slice(0, eq))] = decodeURIComponent(part.slice(eq + 1));
    });
    if (params.suspect) {
      var row = document.getElementById('suspect-' + params.suspect);
      if (row && row.getAttribute('aria-expanded') !== 'true') toggleDetails(row);
      if (row) row.scrollIntoView();
    }
    if (params.flame === 'growth' && data.flame.growth.total > 0) {
      document.getElementById('flame-growth').click();
    }
    if (params.search) {
      var search = document.getElementById('flame-search');
      search.value = params.search;
      search.dispatchEvent(new Event('input'));
    }
  }

  try {
    applyHash();
  } catch (e) {
    document.getElementById('errors').textContent += 'JavaScript error in applyHash: ' +
        (e && e.stack ? e.stack : e) + '\n';
  }
  document.body.setAttribute('data-rendered', 'true');
})();
