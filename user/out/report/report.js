// SPDX-License-Identifier: MIT
// report.html: draws the run's data (user/out/report/DATA.md) with no library and no
// network.  Every section says plainly when the run has nothing for it.
(function () {
  'use strict';
  const D = JSON.parse(document.getElementById('gmt-data').textContent);
  const tip = document.querySelector('.gmt-tip');

  // ---- small helpers ----
  function h(tag, attrs, kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'cls') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    for (const c of kids || []) e.append(c);
    return e;
  }
  const SVG = 'http://www.w3.org/2000/svg'; // a namespace name, nothing is loaded
  function s(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  function none(text) { return h('p', { cls: 'gmt-none', text: text }); }
  function bytes(n) {
    if (n === null || n === undefined) return 'unknown';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0, v = Math.abs(n);
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return (n < 0 ? '-' : '') + (i ? v.toFixed(1) : String(v)) + ' ' + u[i];
  }
  function count(n) { return n === null || n === undefined ? 'unknown' : Math.round(n).toLocaleString('en-US'); }
  function value(n, unit) { return unit === 'bytes' ? bytes(n) : count(n) + (unit ? ' ' + unit : ''); }
  function dur(ns) {
    if (ns === null || ns === undefined) return 'unknown';
    if (ns < 1e3) return ns + ' ns';
    if (ns < 1e6) return (ns / 1e3).toFixed(1) + ' µs';
    if (ns < 1e9) return (ns / 1e6).toFixed(2) + ' ms';
    return (ns / 1e9).toFixed(2) + ' s';
  }
  function secs(s) {
    if (s === null || s === undefined) return 'unknown';
    return s >= 120 ? (s / 60).toFixed(1) + ' min' : s.toFixed(1) + ' s';
  }
  function showTip(ev, text) {
    tip.textContent = text;
    tip.hidden = false;
    tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - 320) + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  }
  function hideTip() { tip.hidden = true; }

  // ---- header and the memory bar ----
  function header() {
    const hd = D.header || {}, m = D.memory;
    const el = document.getElementById('gmt-header');
    el.append(h('h1', { text: 'gomemtrace: ' + (hd.target || 'unknown target') }));
    const facts = [['Go', hd.go_version || 'unknown'], ['mode', hd.mode || 'unknown']];
    if (hd.duration_s !== undefined) facts.push(['duration', secs(hd.duration_s)]);
    if (hd.start_unix_ns) facts.push(['started', new Date(hd.start_unix_ns / 1e6).toISOString()]);
    if (hd.binary) facts.push(['binary', hd.binary]);
    el.append(h('div', { cls: 'gmt-facts' }, facts.map(f => h('span', {}, [f[0] + ': ', h('b', { text: f[1] })]))));
    if (hd.what) el.append(h('p', { text: hd.what }));
    if (!m) { el.append(none('Memory figures: not read in this run.')); return; }
    const scale = Math.max(m.cgroup_limit_bytes || 0, (m.rss_bytes || 0) * 1.15,
      (m.heap_goal_bytes || 0) * 1.05, m.heap_inuse_bytes || 0, 1);
    const bar = h('div', { id: 'gmt-membar' });
    function seg(cls, from, to, title) {
      const e = h('div', { cls: 'gmt-seg ' + cls, 'data-bytes': String(to - from) });
      e.style.left = (100 * from / scale) + '%';
      if (to > from) e.style.width = (100 * (to - from) / scale) + '%';
      e.addEventListener('mousemove', ev => showTip(ev, title));
      e.addEventListener('mouseleave', hideTip);
      bar.append(e);
    }
    if (m.rss_bytes !== null && m.rss_bytes !== undefined) seg('gmt-rss', 0, m.rss_bytes, 'RSS ' + bytes(m.rss_bytes));
    if (m.heap_inuse_bytes) seg('gmt-heap', 0, m.heap_inuse_bytes, 'heap in use ' + bytes(m.heap_inuse_bytes));
    if (m.heap_goal_bytes) seg('gmt-goal', m.heap_goal_bytes, m.heap_goal_bytes, 'heap goal ' + bytes(m.heap_goal_bytes));
    if (m.cgroup_limit_bytes) seg('gmt-limit', Math.min(m.cgroup_limit_bytes, scale) - scale * 0.003, m.cgroup_limit_bytes, 'cgroup limit ' + bytes(m.cgroup_limit_bytes));
    el.append(bar);
    const pct = m.cgroup_limit_bytes && m.rss_bytes ? ' (' + (100 * m.rss_bytes / m.cgroup_limit_bytes).toFixed(1) + ' % of the limit)' : '';
    el.append(h('div', { cls: 'gmt-legend' }, [
      h('span', {}, [h('i', { style: 'background:#9ec5fe' }), 'RSS ' + bytes(m.rss_bytes) + pct]),
      h('span', {}, [h('i', { style: 'background:#3b82f6' }), 'heap in use ' + bytes(m.heap_inuse_bytes)]),
      h('span', {}, [h('i', { style: 'background:#d97706' }), 'heap goal ' + bytes(m.heap_goal_bytes)]),
      h('span', {}, [h('i', { style: 'background:#dc2626' }), 'cgroup limit ' + (m.cgroup_limit_bytes ? bytes(m.cgroup_limit_bytes) : 'none or unknown')]),
      h('span', { text: 'heap allocated ' + bytes(m.heap_alloc_bytes) }),
      h('span', { text: 'GOGC ' + (m.gogc === undefined ? 'unknown' : m.gogc < 0 ? 'off' : m.gogc) }),
      h('span', { text: 'GOMEMLIMIT ' + (m.gomemlimit_bytes ? bytes(m.gomemlimit_bytes) : 'none or unknown') }),
    ]));
  }

  // ---- the three hottest allocation paths ----
  function hot() {
    const el = document.getElementById('gmt-hot');
    const paths = D.hot_paths || [];
    if (!paths.length) { el.append(none('No allocation traced in this run.')); return; }
    paths.forEach((p, i) => {
      const frames = h('ol', {}, p.frames.map(f => h('li', {}, [
        f.func + (f.inlined ? ' (inlined)' : ''), ' ', h('span', { cls: 'gmt-file', text: f.file + ':' + f.line })])));
      const max = Math.max(1, ...p.sizes.map(x => x[1]));
      const sizes = h('div', { cls: 'gmt-sizes' }, p.sizes.map(x => {
        const b = h('div', {}, [h('span', { text: '<' + bytes(x[0]).replace(' ', '') })]);
        b.style.height = Math.max(2, 40 * x[1] / max) + 'px';
        b.title = count(x[1]) + ' allocations under ' + bytes(x[0]);
        return b;
      }));
      el.append(h('div', { cls: 'gmt-hotpath' }, [
        h('b', { text: '#' + (i + 1) + ': ' + bytes(p.bytes) + ' in ' + count(p.count) + ' allocations' }),
        h('div', { text: 'type: ' + ((p.types || []).length ? p.types.map(t => t.type + ' (' + bytes(t.bytes) + ')').join(', ') : 'unknown') }),
        frames, h('div', { cls: 'gmt-sizewrap' }, [h('small', { text: 'sizes:' }), sizes])]));
    });
  }

  // ---- flame graphs ----
  // The graphs are drawn straight from the NODE arrays (DATA.md): [name, [values], flags,
  // [children]].  Building an object tree first cost half a second for 10,000 stacks; only
  // the frames actually drawn get a small object {node, parent, name, v}, kept on the
  // element as gmtNode.
  function vnode(node, parent) {
    return { node: node, parent: parent, name: D.strings[node[0]], v: node[1], flags: node[2] };
  }
  // The children as drawn: with the allocator's frames folded, their children take their
  // place (the folded frame's own value stays in the parent's own).
  function kidsOf(node, fold, out) {
    for (const c of node[3]) {
      if (fold && (c[2] & 1)) kidsOf(c, fold, out);
      else out.push(c);
    }
    return out;
  }
  function hasAlloc(node) { return (node[2] & 1) === 1 || node[3].some(hasAlloc); }
  function color(name, flags) {
    let x = 0;
    for (let i = 0; i < name.length; i++) x = (x * 31 + name.charCodeAt(i)) >>> 0;
    if (flags & 1) return 'hsl(210, 15%, ' + (72 + x % 12) + '%)';
    const l = (flags & 2) ? 80 : 68;
    return 'hsl(' + (10 + x % 45) + ', ' + (70 + x % 25) + '%, ' + l + '%)';
  }
  function pct(part, whole) { return whole ? (100 * part / whole).toFixed(2) + ' %' : 'unknown'; }

  function flame(f) {
    const sec = h('section', { cls: 'gmt-flame', 'data-id': f.id });
    sec.append(h('h2', { text: f.title }));
    const select = h('select', { cls: 'gmt-flame-value', 'aria-label': 'value' },
      f.values.map((v, i) => h('option', { value: String(i), text: v.name === v.unit ? v.name : v.name + ' (' + v.unit + ')' })));
    const search = h('input', { cls: 'gmt-flame-search', type: 'search', placeholder: 'search frames', 'aria-label': 'search frames' });
    const matches = h('span', { cls: 'gmt-flame-matches', 'data-matched': '0' });
    const toggle = h('input', { cls: 'gmt-flame-rtoggle', type: 'checkbox' });
    toggle.checked = true;
    const reset = h('button', { cls: 'gmt-flame-reset', type: 'button', text: 'Reset zoom' });
    const totals = h('div', { cls: 'gmt-facts' });
    sec.append(h('div', { cls: 'gmt-flame-controls' }, [
      h('label', {}, ['value ', select]), search, matches,
      h('label', {}, [toggle, ' fold the allocator\'s frames']), reset,
      h('span', { cls: 'gmt-hint', text: 'click a frame to zoom, the root to zoom out' })]), totals);
    const body = h('div', { cls: 'gmt-flame-body' });
    sec.append(body);
    document.getElementById('gmt-flames').append(sec);
    const empty = !f.root[3].length;
    if (!hasAlloc(f.root)) toggle.disabled = true;
    // path: the current root and its ancestors, top first (the last one is the root)
    let path = [vnode(f.root, null)], vi = 0, lastW = -1;
    const RH = 18;

    function val(n) { return n.v[vi]; }
    function root() { return path[path.length - 1]; }
    function showTotals() {
      totals.textContent = 'total: ' + f.values.map((v, i) => value(f.total ? f.total[i] : null, v.unit)).join(', ');
    }
    function frameEl(n, x, w, d, cls, frag) {
      const e = document.createElement('div');
      e.className = 'gmt-frame' + cls;
      e.setAttribute('data-name', n.name);
      e.setAttribute('data-value', String(val(n)));
      e.style.cssText = 'left:' + x.toFixed(1) + 'px;width:' + w.toFixed(1) + 'px;top:' + (d * RH) + 'px;background:' + color(n.name, n.flags);
      // no text in frames too narrow to read it: fewer glyphs to lay out
      if (w > 24) e.textContent = n.name;
      e.gmtNode = n;
      frag.append(e);
    }
    function draw() {
      body.textContent = '';
      const W = body.clientWidth || 1000, fold = toggle.checked;
      lastW = W;
      const frag = document.createDocumentFragment();
      let maxDepth = 0;
      path.slice(0, -1).forEach((a, d) => frameEl(a, 0, W, d, ' gmt-anc', frag));
      const top = path.length - 1, rv = val(root()) || 1;
      // Depth first; a frame narrower than half a pixel is not drawn, nor anything under it.
      (function walk(n, x, d) {
        // the root spans the width even at 0, so the graph always has one
        const w = d === top ? W : W * val(n) / rv;
        if (w < 0.5) return;
        frameEl(n, x, w, d, d === top ? ' gmt-root' : '', frag);
        if (d > maxDepth) maxDepth = d;
        let cx = x;
        for (const c of kidsOf(n.node, fold, [])) {
          const cw = W * c[1][vi] / rv;
          if (cw >= 0.5) walk(vnode(c, n), cx, d + 1);
          cx += cw;
        }
      })(root(), 0, top);
      body.append(frag);
      if (empty) body.append(none('Nothing in this graph for this run.'));
      body.style.height = ((maxDepth + 1) * RH + 4 + (empty ? RH + 8 : 0)) + 'px';
      highlight();
    }
    function highlight() {
      const q = search.value;
      let n = 0, share = 0;
      for (const e of body.querySelectorAll('.gmt-frame')) {
        const on = q !== '' && e.dataset.name.includes(q);
        e.classList.toggle('gmt-hl', on);
        if (!on) continue;
        n++;
        if (e.classList.contains('gmt-anc')) continue;
        // a match under a matching frame is already in that frame's share
        let inside = false;
        for (let p = e.gmtNode.parent; p && p !== root().parent; p = p.parent) if (p.name.includes(q)) { inside = true; break; }
        if (!inside) share += val(e.gmtNode);
      }
      matches.dataset.matched = String(n);
      matches.textContent = q ? n + ' frames matched, ' + pct(share, val(root())) + ' of the root' : '';
    }
    body.addEventListener('click', ev => {
      const e = ev.target.closest('.gmt-frame');
      if (!e) return;
      const n = e.gmtNode, at = path.indexOf(n);
      if (at === path.length - 1) { if (path.length > 1) path.pop(); }  // the root: out one level
      else if (at >= 0) path = path.slice(0, at + 1);                   // an ancestor
      else {
        const chain = [];
        for (let p = n; p !== root(); p = p.parent) chain.unshift(p);
        path = path.concat(chain);
      }
      draw();
    });
    body.addEventListener('mousemove', ev => {
      const e = ev.target.closest('.gmt-frame');
      if (!e) { hideTip(); return; }
      const n = e.gmtNode, unit = f.values[vi].unit;
      showTip(ev, n.name + ((n.flags & 2) ? ' (inlined)' : '') + ((n.flags & 1) ? ' (allocator)' : '') + '\n' +
        value(val(n), unit) + '\n' + pct(val(n), val(root())) + ' of the root, ' + pct(val(n), val(path[0])) + ' of all');
    });
    body.addEventListener('mouseleave', hideTip);
    select.addEventListener('change', () => { vi = Number(select.value) || 0; draw(); });
    search.addEventListener('input', highlight);
    // a folded frame may be on the path: start again from the top
    toggle.addEventListener('change', () => { path = path.slice(0, 1); draw(); });
    reset.addEventListener('click', () => { path = path.slice(0, 1); draw(); });
    showTotals();
    draw();
    // redraw on a width change only; reading the width at load would force a layout
    window.addEventListener('resize', () => {
      const w = body.clientWidth;
      if (w !== lastW) { lastW = w; draw(); }
    });
  }

  // ---- the GC timeline ----
  function timeline() {
    const g = D.gc, el = document.getElementById('gmt-timeline');
    const hist = document.getElementById('gmt-pausehist');
    if (!g) { el.append(none('GC not traced in this run.')); return; }
    let lo = g.start_ns, hi = g.end_ns;
    for (const p of g.pauses) { lo = Math.min(lo, p.start_ns); hi = Math.max(hi, p.end_ns); }
    for (const c of g.cycles) { lo = Math.min(lo, c.start_ns); hi = Math.max(hi, c.end_ns); }
    if (!(hi > lo)) hi = lo + 1;
    const L0 = lo, L1 = hi, LEFT = 110;
    let t0 = lo, t1 = hi;
    const lanes = g.series.filter(x => x.points.length);
    const H = 80 + lanes.length * 56 + 24;
    const svg = s('svg', { height: String(H), role: 'img' });
    el.append(svg);
    function draw() {
      svg.textContent = '';
      const W = el.clientWidth || 1000, span = t1 - t0;
      const X = t => LEFT + (W - LEFT - 8) * (t - t0) / span;
      const clip = s('clipPath', { id: 'gmt-clip' });
      clip.append(s('rect', { x: String(LEFT), y: '0', width: String(W - LEFT), height: String(H) }));
      svg.append(clip);
      const g2 = s('g', { 'clip-path': 'url(#gmt-clip)' });
      svg.append(g2);
      function label(y, text) { const t = s('text', { x: '4', y: String(y), class: 'gmt-lane-label' }); t.textContent = text; svg.append(t); }
      label(30, 'GC cycles');
      label(58, 'STW pauses');
      for (const c of g.cycles) {
        const r = s('rect', { class: 'gmt-cycle', x: String(X(c.start_ns)), y: '18', height: '18',
          width: String(Math.max(1, X(c.end_ns) - X(c.start_ns))), 'data-num': String(c.num) });
        r.addEventListener('mousemove', ev => showTip(ev, 'GC ' + c.num + (c.forced ? ' (forced)' : '') + ': ' + dur(c.end_ns - c.start_ns) +
          (c.heap_live_bytes ? ', marked live ' + bytes(c.heap_live_bytes) : '') + (c.heap_goal_bytes ? ', goal ' + bytes(c.heap_goal_bytes) : '')));
        r.addEventListener('mouseleave', hideTip);
        g2.append(r);
      }
      // every pause one mark, at least a pixel wide, even out of view (clipped)
      for (const p of g.pauses) {
        const r = s('rect', { class: 'gmt-pause' + (p.gc ? '' : ' gmt-other'), x: String(X(p.start_ns)), y: '46', height: '18',
          width: String(Math.max(1, X(p.end_ns) - X(p.start_ns))), 'data-reason': p.reason, 'data-dur-ns': String(p.end_ns - p.start_ns) });
        r.addEventListener('mousemove', ev => showTip(ev, p.reason + ': ' + dur(p.end_ns - p.start_ns)));
        r.addEventListener('mouseleave', hideTip);
        g2.append(r);
      }
      lanes.forEach((ser, i) => {
        const y0 = 80 + i * 56, hgt = 44;
        const max = Math.max(1, ...ser.points.map(p => p[1]));
        label(y0 + 14, ser.name);
        const lt = s('text', { x: '4', y: String(y0 + 28) });
        lt.setAttribute('class', 'gmt-tick');
        lt.textContent = 'max ' + value(max, ser.unit === 'bytes' || ser.unit === 'bytes/s' ? 'bytes' : ser.unit) + (ser.unit === 'bytes/s' ? '/s' : '');
        svg.append(lt);
        svg.append(s('line', { class: 'gmt-axis', x1: String(LEFT), x2: String(W - 8), y1: String(y0 + hgt), y2: String(y0 + hgt) }));
        const pts = ser.points.map(p => X(p[0]).toFixed(1) + ',' + (y0 + hgt - hgt * p[1] / max).toFixed(1)).join(' ');
        g2.append(s('polyline', { points: pts, fill: 'none', stroke: ['#2563eb', '#d97706', '#059669', '#7c3aed'][i % 4], 'stroke-width': '1.5' }));
      });
      // the time axis, seconds from the start of the window traced
      const ay = H - 16;
      svg.append(s('line', { class: 'gmt-axis', x1: String(LEFT), x2: String(W - 8), y1: String(ay), y2: String(ay) }));
      for (let k = 0; k <= 8; k++) {
        const t = t0 + span * k / 8, x = X(t);
        // the first and last labels stay inside the chart
        const tx = s('text', { x: String(x), y: String(ay + 13), 'text-anchor': k === 0 ? 'start' : k === 8 ? 'end' : 'middle' });
        tx.setAttribute('class', 'gmt-tick');
        tx.textContent = ((t - L0) / 1e9).toFixed(span < 1e8 ? 4 : 2) + ' s';
        svg.append(tx);
      }
    }
    svg.addEventListener('wheel', ev => {
      ev.preventDefault();
      const W = el.clientWidth || 1000;
      // clientX, not offsetX: over a mark offsetX is not relative to the whole chart
      const px = ev.clientX - svg.getBoundingClientRect().left;
      const at = t0 + (t1 - t0) * Math.min(1, Math.max(0, px - LEFT) / (W - LEFT - 8));
      const k = ev.deltaY < 0 ? 0.8 : 1.25;
      t0 = Math.max(L0, at - (at - t0) * k);
      t1 = Math.min(L1, at + (t1 - at) * k);
      if (t1 - t0 < 1000) t1 = t0 + 1000;
      draw();
    }, { passive: false });
    let drag = null;
    svg.addEventListener('mousedown', ev => { drag = { x: ev.clientX, t0: t0, t1: t1 }; });
    window.addEventListener('mouseup', () => { drag = null; });
    window.addEventListener('mousemove', ev => {
      if (!drag) return;
      const W = el.clientWidth || 1000;
      let d = -(ev.clientX - drag.x) * (drag.t1 - drag.t0) / (W - LEFT - 8);
      d = Math.max(L0 - drag.t0, Math.min(L1 - drag.t1, d));
      t0 = drag.t0 + d; t1 = drag.t1 + d;
      draw();
    });
    document.querySelector('.gmt-timeline-reset').addEventListener('click', () => { t0 = L0; t1 = L1; draw(); });
    window.addEventListener('resize', draw);
    draw();

    // the pause histogram and percentiles
    const ph = g.pause_hist || { bounds_ns: [], counts: [] }, max = Math.max(1, ...ph.counts);
    const bars = h('div', { cls: 'gmt-hist' }, ph.counts.map((c, i) => {
      const b = h('div', {}, [h('span', { text: i < ph.bounds_ns.length ? '≤' + dur(ph.bounds_ns[i]) : '+Inf' })]);
      b.style.height = Math.max(1, 80 * c / max) + 'px';
      b.title = count(c) + ' pauses';
      return b;
    }));
    hist.append(h('div', { cls: 'gmt-histwrap' }, [h('b', { text: g.pauses.length + ' pauses' }), bars]));
    const pc = g.percentiles_ns;
    hist.append(h('div', { text: pc ? 'p50 ' + dur(pc.p50) + ', p90 ' + dur(pc.p90) + ', p99 ' + dur(pc.p99) + ', max ' + dur(pc.max) : 'no whole pause seen' }));
  }

  // ---- goroutines, types, notes ----
  function table(heads, rows, rowCls) {
    const t = h('table', {}, [h('tr', {}, heads.map(x => h('th', { cls: x[1] ? 'gmt-num' : '', text: x[0] })))]);
    rows.forEach((r, i) => t.append(h('tr', { cls: rowCls ? rowCls(i) : '' }, r.map((c, k) =>
      h('td', { cls: heads[k][1] ? 'gmt-num' : '' }, [c])))));
    return t;
  }
  function goroutines() {
    const el = document.getElementById('gmt-goroutines');
    const leaks = D.leaks || [];
    if (leaks.length) {
      el.append(h('h3', { text: 'Probable leaks' }));
      el.append(table([['goroutines now'], ['at window start', 1], ['creator'], ['wait site'], ['reason'], ['oldest wait', 1]],
        leaks.map(l => [count(l.count), count(l.count_window_start), l.creator, l.wait_site, l.wait_reason || l.reason, secs(l.oldest_wait_s)]), () => 'gmt-leak'));
    }
    const g = D.goroutines;
    if (!g) { el.append(none('Goroutines not read in this run.')); return; }
    const groups = g.groups.slice().sort((a, b) => (b.leak - a.leak) || (b.count - a.count));
    el.append(h('p', { text: count(g.total) + ' goroutines in ' + groups.length + ' groups' }));
    el.append(table([['count', 1], ['state'], ['longest wait', 1], ['where']],
      groups.map(x => {
        const where = x.frames && x.frames.length ? h('details', {}, [h('summary', { text: x.where }),
          h('pre', { text: x.frames.map(f => f.func + '\n\t' + f.file + ':' + f.line).join('\n') })]) : x.where;
        return [count(x.count), x.state, x.longest_wait_s === null ? '-' : secs(x.longest_wait_s), where];
      }), i => groups[i].leak ? 'gmt-leak' : ''));
  }
  function types() {
    const el = document.getElementById('gmt-types');
    if (!D.types || !D.types.length) { el.append(none('No type in this run.')); return; }
    el.append(table([['type'], ['bytes', 1], ['count', 1]], D.types.map(t => [t.type, bytes(t.bytes), count(t.count)])));
  }
  function notes() {
    const el = document.getElementById('gmt-notes');
    if (!D.notes || !D.notes.length) { el.append(h('p', { text: 'Nothing was dropped, everything was read.' })); return; }
    el.append(h('ul', {}, D.notes.map(n => h('li', { text: n }))));
  }

  header();
  hot();
  if (!D.flames.length) document.getElementById('gmt-flames').append(h('section', {}, [none('No flame graph in this run.')]));
  D.flames.forEach(flame);
  timeline();
  goroutines();
  types();
  notes();
  document.body.dataset.ready = '1';
})();
