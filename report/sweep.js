// flashemu sweep report: copy buttons and the workload timeline (canvas,
// no libraries). Each <figure class="timeline"> reads the JSON of its
// section (<script class="sweep-data">).
(function () {
"use strict";

function copyText(text, btn) {
  function done(ok) {
    btn.textContent = ok ? "copied" : "select + Ctrl+C";
    btn.classList.toggle("copied", ok);
    setTimeout(function () { btn.textContent = "copy"; btn.classList.remove("copied"); }, 1500);
  }
  function fallback() {
    var ta = document.createElement("textarea");
    ta.value = text; ta.setAttribute("readonly", ""); ta.style.position = "fixed"; ta.style.opacity = "0";
    document.body.appendChild(ta); ta.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(ta);
    done(ok);
  }
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
  } else {
    fallback();
  }
}

var charts = [];

document.addEventListener("click", function (ev) {
  var t = ev.target;
  if (!t.closest) return;
  var b = t.closest("button.copy");
  if (b) { copyText(b.getAttribute("data-copy"), b); return; }
  var s = t.closest("button.show");
  if (s) {
    var c = charts[+s.getAttribute("data-sweep")];
    if (c) { c.showOps(+s.getAttribute("data-lo"), +s.getAttribute("data-hi")); c.fig.scrollIntoView({block: "nearest"}); }
  }
});

function esc(s) {
  return String(s).replace(/[&<>"]/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c]; });
}
function fmtInt(v) { return Math.round(v).toLocaleString("en-US"); }
function hex(v) { return "0x" + Math.round(v).toString(16); }
function fmtNs(ns) {
  var a = Math.abs(ns);
  if (a >= 1e9) return (ns / 1e9).toPrecision(4).replace(/\.?0+$/, "") + " s";
  if (a >= 1e6) return (ns / 1e6).toPrecision(4).replace(/\.?0+$/, "") + " ms";
  if (a >= 1e3) return (ns / 1e3).toPrecision(4).replace(/\.?0+$/, "") + " µs";
  return Math.round(ns) + " ns";
}
function niceStep(span, n) {
  if (!(span > 0)) return 1;
  var raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  var ms = [1, 2, 5, 10];
  for (var i = 0; i < ms.length; i++) if (ms[i] * mag >= raw) return ms[i] * mag;
  return 10 * mag;
}
function lowerBound(a, v, lo, hi) {
  while (lo < hi) { var m = (lo + hi) >> 1; if (a[m] < v) lo = m + 1; else hi = m; }
  return lo;
}

// decode turns the JSON columns into typed arrays and prefix sums.
function decode(d) {
  var n = d.n, i, o = {n: n, kinds: d.kinds || [], groups: d.groups || []};
  o.pb = new Float64Array(n + 1); o.pf = new Float64Array(n + 1);
  for (i = 0; i < n; i++) { o.pb[i + 1] = o.pb[i] + (d.b[i] || 0); o.pf[i + 1] = o.pf[i] + (d.f[i] || 0); }
  o.hasOps = !!d.k;
  if (o.hasOps) {
    var K = o.kinds.length;
    o.kind = new Int8Array(n); o.addr = new Float64Array(n); o.len = new Float64Array(n);
    o.t = new Float64Array(n); o.dur = new Float64Array(n); o.ack = new Float64Array(n);
    o.pk = []; for (var k = 0; k < K; k++) o.pk.push(new Int32Array(n + 1));
    var a = 0, t = 0, ack = 0;
    o.amax = 0;
    for (i = 0; i < n; i++) {
      var c = d.k.charCodeAt(i);
      o.kind[i] = c === 46 ? -1 : c - 48;
      a += d.a[i]; t += d.t[i]; ack += d.ack[i];
      o.addr[i] = a; o.len[i] = d.l[i]; o.t[i] = t; o.ack[i] = ack;
      o.amax = Math.max(o.amax, a + d.l[i]);
      for (k = 0; k < K; k++) o.pk[k][i + 1] = o.pk[k][i] + (o.kind[i] === k ? 1 : 0);
    }
    for (i = 0; i < n; i++) o.dur[i] = i + 1 < n ? Math.max(o.t[i + 1] - o.t[i], 0) : (d.d || 0);
    o.tEnd = n ? o.t[n - 1] + o.dur[n - 1] : 0;
    o.hasTime = o.tEnd > 0;
    o.hasAck = n > 0 && o.ack[n - 1] > 0;
    o.hasAddr = o.amax > 0;
  }
  return o;
}

function Chart(fig, data) {
  this.fig = fig;
  this.d = decode(data);
  this.canvas = fig.querySelector("canvas");
  // The overlay holds what changes with the pointer (hover band, range
  // selection), so a hover never redraws the 100,000 operations below it.
  this.over = document.createElement("canvas");
  this.over.className = "overlay";
  this.over.setAttribute("aria-hidden", "true");
  this.canvas.parentNode.insertBefore(this.over, this.canvas.nextSibling);
  this.tip = fig.querySelector(".tip");
  this.rangeEl = fig.querySelector(".range");
  this.mode = "op";
  var sel = fig.querySelector("select.xmode");
  if (!this.d.hasTime) { sel.querySelector("option[value=time]").disabled = true; }
  var self = this;
  sel.addEventListener("change", function () { self.mode = sel.value; self.reset(); });
  fig.querySelector(".zin").addEventListener("click", function () { self.zoom(0.5, 0.5); });
  fig.querySelector(".zout").addEventListener("click", function () { self.zoom(2, 0.5); });
  fig.querySelector(".zreset").addEventListener("click", function () { self.reset(); });
  this.hover = -1;
  this.bindPointer();
  this.legend();
  this.reset();
  if (window.ResizeObserver) new ResizeObserver(function () { self.draw(); }).observe(fig.querySelector(".plot"));
  else window.addEventListener("resize", function () { self.draw(); });
  if (window.matchMedia) {
    var mq = window.matchMedia("(prefers-color-scheme: dark)");
    if (mq.addEventListener) mq.addEventListener("change", function () { self.draw(); });
  }
}

Chart.prototype.domain = function () {
  return this.mode === "time" ? [0, this.d.tEnd] : [0, Math.max(this.d.n, 1)];
};
Chart.prototype.reset = function () { this.view = this.domain(); this.draw(); };
Chart.prototype.minSpan = function () {
  var D = this.domain();
  return this.mode === "time" ? Math.max((D[1] - D[0]) / 1e7, 1) : Math.min(3, D[1]);
};
Chart.prototype.setView = function (v0, v1) {
  var D = this.domain(), span = Math.max(v1 - v0, this.minSpan());
  span = Math.min(span, D[1] - D[0]);
  var c = (v0 + v1) / 2;
  v0 = c - span / 2; v1 = c + span / 2;
  if (v0 < D[0]) { v1 += D[0] - v0; v0 = D[0]; }
  if (v1 > D[1]) { v0 -= v1 - D[1]; v1 = D[1]; }
  this.view = [Math.max(v0, D[0]), v1];
  this.draw();
};
// zoom scales the view by f around the fraction at of its width.
Chart.prototype.zoom = function (f, at) {
  var v = this.view, x = v[0] + (v[1] - v[0]) * at;
  var span = Math.max((v[1] - v[0]) * f, this.minSpan());
  var v0 = x - (x - v[0]) * span / (v[1] - v[0]);
  this.setView(v0, v0 + span);
};
Chart.prototype.showOps = function (lo, hi) {
  var d = this.d, pad;
  if (this.mode === "time") {
    var a = d.t[Math.max(lo, 0)], b = d.t[Math.min(hi, d.n - 1)] + d.dur[Math.min(hi, d.n - 1)];
    pad = Math.max((b - a) * 0.5, this.minSpan());
    this.setView(a - pad, b + pad);
  } else {
    pad = Math.max((hi - lo + 1) * 0.5, 4);
    this.setView(lo - pad, hi + 1 + pad);
  }
};

// x extent of op i in data units.
Chart.prototype.opX = function (i) {
  return this.mode === "time" ? [this.d.t[i], this.d.t[i] + this.d.dur[i]] : [i, i + 1];
};
// opRange: the ops whose start lies in [x0, x1).
Chart.prototype.opRange = function (x0, x1) {
  var d = this.d;
  if (this.mode === "time") return [lowerBound(d.t, x0, 0, d.n), lowerBound(d.t, x1, 0, d.n)];
  return [Math.max(0, Math.ceil(x0)), Math.min(d.n, Math.ceil(x1))];
};

Chart.prototype.bins = function (plotW) {
  var v = this.view, d = this.d, out = [], maxBins = Math.max(1, Math.floor(plotW / 3)), b;
  if (this.mode === "time") {
    var w = (v[1] - v[0]) / maxBins;
    for (b = 0; b < maxBins; b++) {
      var x0 = v[0] + b * w, x1 = b + 1 === maxBins ? v[1] + 1e-9 : x0 + w, r = this.opRange(x0, x1);
      out.push({x0: x0, x1: x1, lo: r[0], hi: r[1]});
    }
    return out;
  }
  var lo = Math.max(0, Math.floor(v[0])), hi = Math.min(d.n, Math.ceil(v[1]));
  var k = Math.max(1, Math.ceil((hi - lo) / maxBins));
  for (var i = lo; i < hi; i += k) out.push({x0: i, x1: Math.min(i + k, hi), lo: i, hi: Math.min(i + k, hi)});
  return out;
};

Chart.prototype.colours = function () {
  var cs = getComputedStyle(document.documentElement), g = function (n) { return cs.getPropertyValue(n).trim(); };
  var c = {bg: g("--bg"), fg: g("--fg"), muted: g("--muted"), grid: g("--grid"), line: g("--line"), rate: g("--rate"),
    ack: g("--ack"), nobranch: g("--nobranch"), hover: g("--hover"), kinds: []};
  for (var k = 0; k < this.d.kinds.length; k++) c.kinds.push(g("--k-" + this.d.kinds[k]) || g("--k-other"));
  return c;
};

Chart.prototype.legend = function () {
  var d = this.d, h = [], cs = getComputedStyle(document.documentElement);
  function sw(col) { return "<span class=\"sw\" style=\"background:" + esc(col) + "\"></span>"; }
  h.push("<span>" + sw(cs.getPropertyValue("--rate")) + "failure rate per bin (failed ÷ branches cut there)</span>");
  for (var g = 0; g < d.groups.length; g++)
    h.push("<span>" + sw(d.groups[g].colour) + "<b>" + esc(d.groups[g].tag) + "</b> " + esc(d.groups[g].class) + " (" + d.groups[g].count + ")</span>");
  for (var k = 0; k < d.kinds.length; k++)
    h.push("<span>" + sw(cs.getPropertyValue("--k-" + d.kinds[k]) || cs.getPropertyValue("--k-other")) + esc(d.kinds[k]) + "</span>");
  if (d.hasAck) h.push("<span>" + sw(cs.getPropertyValue("--ack")) + "values acknowledged (cumulative)</span>");
  if (!d.hasOps) h.push("<span>operation kinds and addresses were not recorded for this sweep</span>");
  this.fig.querySelector(".legend").innerHTML = h.join("");
};

// layout: the tracks, top to bottom, in CSS pixels; each has a title row
// above it.
Chart.prototype.layout = function () {
  var d = this.d, tr = [], y = 4, gap = 8, title = 17;
  function add(id, label, h, extra) {
    var t = {id: id, label: label, y: y + title, h: h};
    for (var k in extra) t[k] = extra[k];
    tr.push(t); y += title + h + gap;
  }
  add("rate", "failure rate (scale fits the view)", 64);
  var lanes = Math.min(d.groups.length, 8);
  if (lanes) add("groups", "failures by error class" + (d.groups.length > lanes ? " (first " + lanes + ")" : ""), lanes * 15, {lanes: lanes});
  if (d.hasOps && d.kinds.length) add("kinds", "operation kind", d.kinds.length * 14, {lanes: d.kinds.length});
  if (d.hasOps && d.hasAddr) add("addr", "address (operation offset and length)", 110);
  if (d.hasOps && d.hasAck) add("ack", "values acknowledged (cumulative)", 44);
  return {tracks: tr, axisY: y - gap + 4, height: y - gap + 40};
};

Chart.prototype.draw = function () {
  var cv = this.canvas, d = this.d, W = cv.clientWidth || cv.parentNode.clientWidth || 800;
  var L = this.layout(), H = L.height, dpr = window.devicePixelRatio || 1;
  if (cv.width !== Math.round(W * dpr) || cv.height !== Math.round(H * dpr)) {
    cv.width = Math.round(W * dpr); cv.height = Math.round(H * dpr); cv.style.height = H + "px";
  }
  var ctx = cv.getContext("2d"), col = this.colours();
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = col.bg; ctx.fillRect(0, 0, W, H);
  var left = W < 500 ? 70 : 92, right = 28, pw = Math.max(W - left - right, 10);
  var v = this.view, sx = pw / (v[1] - v[0]);
  var X = function (x) { return left + (x - v[0]) * sx; };
  this.geom = {left: left, pw: pw, X: X, L: L, W: W};
  var bins = this.bins(pw);
  this.cur = bins;
  ctx.font = "12px system-ui, sans-serif"; ctx.textBaseline = "middle";
  var self = this;

  function label(t) {
    ctx.fillStyle = col.fg; ctx.textAlign = "left";
    ctx.font = "600 12px system-ui, sans-serif";
    ctx.fillText(t.label, left, t.y - 9);
    ctx.font = "11px system-ui, sans-serif"; ctx.fillStyle = col.muted;
  }
  // bx: a bin's x and width in pixels, clipped to the plot (a panned view
  // starts inside a bin).
  function bx(b) {
    var x0 = Math.max(X(b.x0), left), x1 = Math.min(X(b.x1), left + pw);
    return [x0, Math.max(x1 - x0 - (x1 - x0 > 4 ? 1 : 0), 1)];
  }

  this.hoverCol = col.hover;

  L.tracks.forEach(function (t) {
    label(t);
    ctx.strokeStyle = col.grid; ctx.lineWidth = 1;
    if (t.id === "rate") {
      // The scale follows the highest rate in view (1%, 2%, 5% … 100%) so
      // that rare failures do not shrink to slivers; the top label says it.
      var rmax = 0;
      bins.forEach(function (b) { var br = d.pb[b.hi] - d.pb[b.lo]; if (br) rmax = Math.max(rmax, (d.pf[b.hi] - d.pf[b.lo]) / br); });
      var top = 1, steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];
      for (var si = 0; si < steps.length; si++) if (steps[si] >= rmax) { top = steps[si]; break; }
      if (rmax === 0) top = 1;
      [0, 0.5, 1].forEach(function (f) {
        var y = Math.round(t.y + t.h - f * t.h) + 0.5;
        ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + pw, y); ctx.stroke();
        ctx.textAlign = "right"; ctx.fillStyle = col.muted;
        ctx.fillText(f === 0 ? "0" : +(f * top * 100).toPrecision(3) + "%", left - 8, y);
      });
      bins.forEach(function (b) {
        var br = d.pb[b.hi] - d.pb[b.lo], fl = d.pf[b.hi] - d.pf[b.lo], r = bx(b);
        if (br === 0) { ctx.fillStyle = col.nobranch; ctx.fillRect(r[0], t.y, r[1], t.h); return; }
        if (fl > 0) {
          var h = Math.max(Math.min(fl / br / top, 1) * t.h, 3);
          ctx.fillStyle = col.rate; ctx.fillRect(r[0], t.y + t.h - h, Math.max(r[1], 2), h);
        }
      });
    } else if (t.id === "groups") {
      for (var g = 0; g < t.lanes; g++) {
        var grp = d.groups[g], y = t.y + g * 15;
        ctx.textAlign = "right"; ctx.fillStyle = col.muted; ctx.fillText(grp.tag, left - 8, y + 7);
        ctx.strokeStyle = col.grid; ctx.beginPath(); ctx.moveTo(left, y + 7.5); ctx.lineTo(left + pw, y + 7.5); ctx.stroke();
        ctx.fillStyle = grp.colour;
        bins.forEach(function (b) {
          var c = lowerBound(grp.ops, b.hi, 0, grp.ops.length) - lowerBound(grp.ops, b.lo, 0, grp.ops.length);
          if (c > 0) { var r = bx(b); ctx.fillRect(r[0] + r[1] / 2 - Math.max(r[1], 3) / 2, y + 1, Math.max(r[1], 3), 12); }
        });
      }
      if (t.lanes) { /* the lane tags replace the track label */ }
    } else if (t.id === "kinds") {
      for (var k = 0; k < t.lanes; k++) {
        var yk = t.y + k * 14, pk = d.pk[k];
        ctx.textAlign = "right"; ctx.fillStyle = col.muted; ctx.fillText(d.kinds[k], left - 8, yk + 7);
        ctx.fillStyle = col.kinds[k];
        bins.forEach(function (b) {
          var c = pk[b.hi] - pk[b.lo], n = b.hi - b.lo;
          if (c > 0) { var r = bx(b); ctx.globalAlpha = 0.5 + 0.5 * c / n; ctx.fillRect(r[0], yk + 1, r[1], 12); }
        });
        ctx.globalAlpha = 1;
      }
    } else if (t.id === "addr") {
      var amax = d.amax, sy = t.h / amax;
      [0, 0.5, 1].forEach(function (f) {
        var y = Math.round(t.y + t.h - f * t.h) + 0.5;
        ctx.strokeStyle = col.grid; ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + pw, y); ctx.stroke();
        ctx.textAlign = "right"; ctx.fillStyle = col.muted; ctx.fillText(hex(f * amax), left - 8, y);
      });
      self.rasterAddr(ctx, t, left, pw, sy, dpr, col);
    } else if (t.id === "ack") {
      var amx = d.ack[d.n - 1];
      [0, 1].forEach(function (f) {
        var y = t.y + t.h - f * t.h + 0.5;
        ctx.strokeStyle = col.grid; ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + pw, y); ctx.stroke();
        ctx.textAlign = "right"; ctx.fillStyle = col.muted; ctx.fillText(fmtInt(f * amx), left - 8, y + (f === 1 ? 14 : 0));
      });
      ctx.strokeStyle = col.ack; ctx.lineWidth = 2; ctx.beginPath();
      var started = false;
      bins.forEach(function (b) {
        if (b.hi <= b.lo) return;
        var y = t.y + t.h - d.ack[b.hi - 1] / amx * t.h, x0 = Math.max(X(b.x0), left), x1 = Math.min(X(b.x1), left + pw);
        if (!started) { ctx.moveTo(x0, y); started = true; } else ctx.lineTo(x0, y);
        ctx.lineTo(x1, y);
      });
      ctx.stroke(); ctx.lineWidth = 1;
    }
  });

  // x axis
  var ay = L.axisY;
  ctx.strokeStyle = col.fg; ctx.beginPath(); ctx.moveTo(left, ay + 0.5); ctx.lineTo(left + pw, ay + 0.5); ctx.stroke();
  var step = niceStep(v[1] - v[0], Math.max(2, Math.floor(pw / 90)));
  if (this.mode === "op") step = Math.max(1, Math.round(step));
  ctx.fillStyle = col.muted; ctx.textAlign = "center"; ctx.font = "11px system-ui, sans-serif";
  for (var x = Math.ceil(v[0] / step) * step; x <= v[1] + 1e-9; x += step) {
    var px = X(this.mode === "op" ? x + 0.0 : x);
    ctx.strokeStyle = col.fg; ctx.beginPath(); ctx.moveTo(px + 0.5, ay); ctx.lineTo(px + 0.5, ay + 5); ctx.stroke();
    ctx.fillText(this.mode === "time" ? fmtNs(x) : fmtInt(x), px, ay + 14);
  }
  ctx.fillStyle = col.fg; ctx.font = "600 12px system-ui, sans-serif";
  ctx.fillText(this.mode === "time" ? "simulated time since the workload started" : "workload operation (mutating operations in order)", left + pw / 2, ay + 30);

  var r = this.opRange(v[0], v[1]);
  this.rangeEl.textContent = (this.mode === "time" ? fmtNs(v[0]) + " – " + fmtNs(v[1]) + ", " : "") +
    "ops " + fmtInt(r[0]) + "–" + fmtInt(Math.max(r[1] - 1, r[0])) + " of " + fmtInt(d.n) +
    (this.mode === "op" && bins.length && bins[0].hi - bins[0].lo > 1 ? " (" + fmtInt(bins[0].hi - bins[0].lo) + " ops per bar)" : "");
  this.fig.setAttribute("data-rendered", String(bins.length));
  this.fig.setAttribute("data-ops", String(d.n));
  this.drawOverlay();
};

// drawOverlay draws the hover band and the range being selected.
Chart.prototype.drawOverlay = function (sel) {
  var ov = this.over, cv = this.canvas, g = this.geom;
  if (ov.width !== cv.width || ov.height !== cv.height) { ov.width = cv.width; ov.height = cv.height; ov.style.height = cv.style.height; }
  var c = ov.getContext("2d"), dpr = window.devicePixelRatio || 1;
  c.setTransform(1, 0, 0, 1, 0, 0); c.clearRect(0, 0, ov.width, ov.height);
  c.setTransform(dpr, 0, 0, dpr, 0, 0);
  if (!g) return;
  var b = this.cur && this.cur[this.hover];
  if (b) {
    var x0 = g.X(b.x0), x1 = g.X(b.x1);
    c.fillStyle = this.hoverCol; c.fillRect(x0, 0, Math.max(x1 - x0, 2), g.L.axisY);
  }
  if (sel) { c.fillStyle = "rgba(100,140,255,.25)"; c.fillRect(Math.min(sel[0], sel[1]), 0, Math.abs(sel[1] - sel[0]), g.L.axisY); }
};

// packRGBA turns a CSS colour into a pixel of an ImageData's Uint32Array.
var packCache = {};
function packRGBA(css) {
  if (packCache[css] !== undefined) return packCache[css];
  var c = document.createElement("canvas"); c.width = c.height = 1;
  var x = c.getContext("2d"); x.fillStyle = css; x.fillRect(0, 0, 1, 1);
  var p = x.getImageData(0, 0, 1, 1).data;
  var u = new Uint32Array(new Uint8ClampedArray([p[0], p[1], p[2], 255]).buffer)[0];
  packCache[css] = u;
  return u;
}

// rasterAddr draws every operation in view as a rectangle (x: its extent,
// y: its address range) straight into the pixels: 100,000 operations cost
// a few pixel writes each instead of a canvas call each.
Chart.prototype.rasterAddr = function (ctx, t, left, pw, sy, dpr, col) {
  var d = this.d, v = this.view;
  var rx = Math.round(left * dpr), ry = Math.round(t.y * dpr), rw = Math.round(pw * dpr), rh = Math.round(t.h * dpr);
  if (rw <= 0 || rh <= 0) return;
  var img = ctx.getImageData(rx, ry, rw, rh), px = new Uint32Array(img.data.buffer);
  var kc = col.kinds.map(packRGBA), other = packRGBA(col.muted);
  var scale = rw / (v[1] - v[0]), ys = sy * dpr, minH = Math.max(2, Math.round(2 * dpr));
  var lo = 0, hi = d.n;
  if (this.mode === "op") { lo = Math.max(0, Math.floor(v[0])); hi = Math.min(d.n, Math.ceil(v[1])); }
  else { hi = lowerBound(d.t, v[1], 0, d.n); }
  for (var i = lo; i < hi; i++) {
    var e0 = this.mode === "time" ? d.t[i] : i, e1 = this.mode === "time" ? e0 + d.dur[i] : i + 1;
    var x0 = Math.floor((e0 - v[0]) * scale), x1 = Math.floor((e1 - v[0]) * scale);
    if (x1 - x0 > 4) x1 -= 1; // a gap between wide neighbours
    if (x1 <= x0) x1 = x0 + 1;
    if (x1 <= 0 || x0 >= rw) continue;
    x0 = Math.max(x0, 0); x1 = Math.min(x1, rw);
    var y1 = Math.ceil(rh - d.addr[i] * ys), y0 = Math.floor(rh - (d.addr[i] + d.len[i]) * ys);
    if (y1 - y0 < minH) y0 = y1 - minH;
    y0 = Math.max(y0, 0); y1 = Math.min(y1, rh);
    var c = d.kind[i] >= 0 ? kc[d.kind[i]] : other;
    for (var y = y0; y < y1; y++) {
      var row = y * rw;
      for (var x = x0; x < x1; x++) px[row + x] = c;
    }
  }
  ctx.putImageData(img, rx, ry);
};

Chart.prototype.binAt = function (px) {
  var g = this.geom, bins = this.cur;
  if (!g || !bins || px < g.left || px > g.left + g.pw) return -1;
  var xv = this.view[0] + (px - g.left) / g.pw * (this.view[1] - this.view[0]);
  for (var lo = 0, hi = bins.length; lo < hi;) { var m = (lo + hi) >> 1; if (bins[m].x1 <= xv) lo = m + 1; else hi = m; }
  return lo < bins.length ? lo : -1;
};

Chart.prototype.tipHTML = function (b) {
  var d = this.d, h = [], n = b.hi - b.lo, i, k;
  if (n <= 0) return "<b>no operation starts here</b>";
  h.push(n === 1 ? "<b>operation " + fmtInt(b.lo) + "</b>" : "<b>operations " + fmtInt(b.lo) + "–" + fmtInt(b.hi - 1) + "</b> (" + fmtInt(n) + ")");
  if (d.hasOps) {
    if (n === 1) {
      i = b.lo;
      h.push((d.kind[i] >= 0 ? esc(d.kinds[d.kind[i]]) : "?") + " at <b>" + hex(d.addr[i]) + "</b>, " + fmtInt(d.len[i]) + " B");
      if (d.hasTime) h.push("at " + fmtNs(d.t[i]) + ", takes " + fmtNs(d.dur[i]));
    } else {
      var parts = [];
      for (k = 0; k < d.kinds.length; k++) { var c = d.pk[k][b.hi] - d.pk[k][b.lo]; if (c) parts.push(esc(d.kinds[k]) + " " + fmtInt(c)); }
      h.push(parts.join(", "));
      var lo = Infinity, hi = 0;
      for (i = b.lo; i < b.hi; i++) { lo = Math.min(lo, d.addr[i]); hi = Math.max(hi, d.addr[i] + d.len[i]); }
      h.push("addresses " + hex(lo) + "–" + hex(Math.max(hi - 1, lo)));
      if (d.hasTime) h.push(fmtNs(d.t[b.lo]) + " – " + fmtNs(d.t[b.hi - 1] + d.dur[b.hi - 1]));
    }
    if (d.hasAck) h.push("acknowledged: " + fmtInt(b.lo > 0 ? d.ack[b.lo - 1] : 0) + " → " + fmtInt(d.ack[b.hi - 1]));
  }
  var br = d.pb[b.hi] - d.pb[b.lo], fl = d.pf[b.hi] - d.pf[b.lo];
  h.push("branches cut: " + fmtInt(br) + ", failed: <b>" + fmtInt(fl) + "</b>" + (br ? " (" + (100 * fl / br).toFixed(fl && fl < br ? 1 : 0) + "%)" : ""));
  for (var g = 0; g < d.groups.length; g++) {
    var grp = d.groups[g], c2 = lowerBound(grp.ops, b.hi, 0, grp.ops.length) - lowerBound(grp.ops, b.lo, 0, grp.ops.length);
    if (c2) h.push("<span style=\"color:" + esc(grp.colour) + "\">■</span> " + esc(grp.tag) + " on " + fmtInt(c2) + " op" + (c2 > 1 ? "s" : "") + ": " + esc(grp.class));
  }
  return h.join("<br>");
};

Chart.prototype.bindPointer = function () {
  var self = this, cv = this.canvas, drag = null;
  function px(ev) { var r = cv.getBoundingClientRect(); return [ev.clientX - r.left, ev.clientY - r.top]; }
  function showTip(p) {
    var b = self.binAt(p[0]);
    if (b !== self.hover) { self.hover = b; self.drawOverlay(); }
    if (b < 0) { self.tip.hidden = true; return; }
    self.tip.innerHTML = self.tipHTML(self.cur[b]);
    self.tip.hidden = false;
    var tw = self.tip.offsetWidth, W = cv.clientWidth;
    self.tip.style.left = Math.max(0, Math.min(p[0] + 14, W - tw - 4)) + "px";
    self.tip.style.top = (p[1] + 16) + "px";
  }
  cv.addEventListener("pointermove", function (ev) {
    var p = px(ev);
    if (drag) {
      if (drag.select) { drag.x1 = p[0]; self.drawOverlay([drag.x0, drag.x1]); return; }
      var dx = p[0] - drag.x0, span = drag.view[1] - drag.view[0];
      self.setView(drag.view[0] - dx / self.geom.pw * span, drag.view[1] - dx / self.geom.pw * span);
      return;
    }
    showTip(p);
  });
  cv.addEventListener("pointerdown", function (ev) {
    var p = px(ev);
    cv.focus({preventScroll: true});
    drag = {x0: p[0], x1: p[0], view: self.view.slice(), select: ev.shiftKey};
    cv.setPointerCapture(ev.pointerId);
  });
  cv.addEventListener("pointerup", function (ev) {
    if (drag && drag.select && Math.abs(drag.x1 - drag.x0) > 3) {
      var g = self.geom, v = self.view, s = (v[1] - v[0]) / g.pw;
      var a = v[0] + (Math.min(drag.x0, drag.x1) - g.left) * s, b = v[0] + (Math.max(drag.x0, drag.x1) - g.left) * s;
      drag = null; self.setView(a, b);
    } else { drag = null; self.drawOverlay(); }
    showTip(px(ev));
  });
  cv.addEventListener("pointerleave", function () { if (!drag) { self.hover = -1; self.tip.hidden = true; self.drawOverlay(); } });
  cv.addEventListener("wheel", function (ev) {
    // The wheel scrolls the page until the chart is clicked (or with
    // Ctrl/⌘ held): a page is read by scrolling past the chart.
    if (!(ev.ctrlKey || ev.metaKey || document.activeElement === cv)) return;
    ev.preventDefault();
    var g = self.geom, p = px(ev), at = Math.min(Math.max((p[0] - g.left) / g.pw, 0), 1);
    self.zoom(ev.deltaY > 0 ? 1.25 : 0.8, at);
    showTip(p);
  }, {passive: false});
  cv.addEventListener("dblclick", function () { self.reset(); });
  cv.addEventListener("keydown", function (ev) {
    var v = self.view, s = (v[1] - v[0]) * 0.2;
    if (ev.key === "+" || ev.key === "=") self.zoom(0.5, 0.5);
    else if (ev.key === "-") self.zoom(2, 0.5);
    else if (ev.key === "0") self.reset();
    else if (ev.key === "ArrowLeft") self.setView(v[0] - s, v[1] - s);
    else if (ev.key === "ArrowRight") self.setView(v[0] + s, v[1] + s);
    else return;
    ev.preventDefault();
  });
};

// applyHash opens a view from the address: #sweep-N/ops=A-B shows
// operations A to B of sweep N (a link to a region of interest).
function applyHash() {
  var m = /^#sweep-(\d+)\/ops=(\d+)-(\d+)$/.exec(location.hash);
  if (!m || !charts[+m[1]]) return;
  var c = charts[+m[1]];
  if (c.mode !== "op") { c.mode = "op"; c.fig.querySelector("select.xmode").value = "op"; }
  c.setView(+m[2], +m[3] + 1);
}
window.addEventListener("hashchange", applyHash);

var figs = document.querySelectorAll("figure.timeline");
for (var i = 0; i < figs.length; i++) {
  var fig = figs[i], data = fig.parentNode.querySelector("script.sweep-data");
  try {
    charts[+fig.getAttribute("data-sweep")] = new Chart(fig, JSON.parse(data.textContent));
  } catch (e) {
    fig.insertAdjacentHTML("beforeend", "<p class=\"tlerror\">timeline failed: " + esc(e && e.message) + "</p>");
  }
}
applyHash();
})();
