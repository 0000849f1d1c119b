/* evalcorr's interactive figures, drawn with Plotly (loaded before this script).
 *
 * Every element <div data-evalcorr="KIND"> holds its data in a <script type="application/json"> child
 * (written by evalcorr.site); this script draws it:
 *   linked-matrix      a correlation matrix; hovering a cell shows the pair, r, its 95% interval and n;
 *                      clicking it (or choosing the pair in the two lists, or moving with the arrow keys)
 *                      draws the pair's scatter beside the matrix, one point per model; a search box
 *                      highlights one model.
 *   transfer-heatmaps  heatmaps whose cells show their value, interval and baseline on hover or focus.
 * Numeric arrays arrive as base64 little-endian typed arrays ({dtype, shape, b64}).
 * The figures on or near the screen are drawn first; then <html data-evalcorr-ready> is set and
 * "evalcorr:ready" fires (window.evalcorrReadyAt = performance.now()): the page is usable. The other
 * figures follow, one per idle moment or at once when scrolled to; when all are drawn
 * "evalcorr:all-drawn" fires (window.evalcorrAllDrawnAt).
 */
(function () {
  "use strict";
  if (window.EvalcorrFigures) return;

  var TYPES = { f4: Float32Array, u1: Uint8Array, i4: Int32Array };
  var HOVER = { align: "left", font: { size: 11 } };
  var FONT = { family: "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif", size: 11 };
  // No mode bar (it covers titles); drag zooms a scatter and a double click resets it.
  var CONFIG = { displayModeBar: false, responsive: false };

  function decode(array) {
    var bytes = atob(array.b64), buffer = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) buffer[i] = bytes.charCodeAt(i);
    return new TYPES[array.dtype](buffer.buffer);
  }
  function fmt(value, digits) {
    if (value === null || value === undefined || !isFinite(value)) return "NA";
    return (value < 0 ? "\u2212" : "") + Math.abs(value).toFixed(digits === undefined ? 2 : digits);
  }
  // a number without its leading zero (0.27 -> .27), as the static heatmaps write small cells
  function compact(value) {
    if (value === null || !isFinite(value)) return "";
    var text = Math.abs(value).toFixed(2).replace(/^0\./, ".");
    if (text === ".00") return "0";
    return (value < 0 ? "\u2212" : "") + text;
  }
  function count(value) { return Math.round(value).toLocaleString("en-US"); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  var uid = 0;
  function nextId(prefix) { uid += 1; return "evalcorr-" + prefix + "-" + uid; }

  /* ---------- linked matrix ---------- */

  function linkedMatrix(root, spec) {
    return Promise.all(spec.panels.map(function (panel) { return linkedPanel(root, spec, panel); }));
  }

  function linkedPanel(root, spec, panel) {
    var k = panel.tasks.length, names = panel.names, unit = panel.unit, value = panel.value;
    var r = decode(panel.r), lo = decode(panel.lo), hi = decode(panel.hi), n = decode(panel.n);
    var scores = decode(panel.scores), m = panel.units.length;
    var group = function (i) { return panel.groups && panel.groups[i] ? " (" + panel.groups[i] + ")" : ""; };
    var box = el("div", { class: "evalcorr-linked" });
    if (panel.title) box.appendChild(el("p", { class: "evalcorr-panel-title", style: "font-weight:600;margin:0.6rem 0 0.2rem" }, panel.title));

    // Controls: the pair (two lists) and the search box.
    var controls = el("div", { class: "evalcorr-controls", style: "display:flex;flex-wrap:wrap;gap:0.4rem 1rem;align-items:center;font-size:0.85rem;margin:0.3rem 0" });
    var selects = [0, 1].map(function (which) {
      var label = el("label", { style: "display:flex;gap:0.3rem;align-items:center" });
      label.appendChild(document.createTextNode(which ? "and" : "Pair:"));
      var select = el("select", { class: "evalcorr-task-" + (which ? "b" : "a"), style: "max-width:14rem" });
      names.forEach(function (name, i) { var option = el("option", { value: String(i) }, name + group(i)); select.appendChild(option); });
      label.appendChild(select);
      controls.appendChild(label);
      return select;
    });
    var listId = nextId("units");
    var find = el("input", { type: "search", class: "evalcorr-find", list: listId, placeholder: unit + " name",
                             "aria-label": "Highlight a " + unit + " in the scatter", style: "width:14rem" });
    var findLabel = el("label", { style: "display:flex;gap:0.3rem;align-items:center" });
    findLabel.appendChild(document.createTextNode("Find a " + unit + ":"));
    findLabel.appendChild(find);
    controls.appendChild(findLabel);
    var datalist = el("datalist", { id: listId });
    box.appendChild(controls);
    box.appendChild(datalist);

    var panels = el("div", { class: "evalcorr-panels", style: "display:flex;flex-wrap:wrap;gap:0.5rem;align-items:flex-start" });
    var width = Math.max(280, root.clientWidth || 720);
    var side = width >= 640;
    var matrixSize = side ? Math.min(480, Math.round(width * 0.6)) : width;
    var scatterSize = side ? width - matrixSize - 12 : width;
    var matrixDiv = el("div", { class: "evalcorr-matrix", tabindex: "0", role: "img",
                                "aria-label": "Correlation matrix: use the arrow keys to move between cells" });
    matrixDiv.style.width = matrixSize + "px";
    var scatterDiv = el("div", { class: "evalcorr-scatter", role: "img", "aria-label": "Scatter of the chosen pair" });
    scatterDiv.style.width = scatterSize + "px";
    panels.appendChild(matrixDiv);
    panels.appendChild(scatterDiv);
    box.appendChild(panels);
    var status = el("p", { class: "evalcorr-status", "aria-live": "polite", style: "font-size:0.85rem;min-height:1.2em;margin:0.2rem 0" });
    box.appendChild(status);
    root.appendChild(box);

    function cellText(i, j) {
      var ij = i * k + j;
      if (i === j) return names[i] + group(i) + "<br>the task with itself<br>n = " + count(n[ij]) + " " + unit + "s";
      return names[i] + group(i) + " \u00d7 " + names[j] + group(j) + "<br>" + panel.label + " = " + fmt(r[ij]) +
        "<br>95% interval [" + fmt(lo[ij]) + ", " + fmt(hi[ij]) + "]<br>n = " + count(n[ij]) + " " + unit + "s";
    }
    var z = [], text = [];
    for (var i = 0; i < k; i++) {
      var zr = [], tr = [];
      for (var j = 0; j < k; j++) { var v = r[i * k + j]; zr.push(isFinite(v) ? v : null); tr.push(cellText(i, j)); }
      z.push(zr); text.push(tr);
    }
    var positions = names.map(function (_, i) { return i; });
    var tick = Math.max(5, Math.min(10, (matrixSize - 150) / k * 0.85));
    var showTicks = k <= 60;
    var longest = names.reduce(function (a, b) { return Math.max(a, b.length); }, 0);
    var labelSpace = showTicks ? Math.min(150, Math.round(longest * tick * 0.55) + 12) : 10;
    var heat = {
      type: "heatmap", z: z, text: text, hovertemplate: "%{text}<extra></extra>", x: positions, y: positions,
      colorscale: spec.colorscale, zmin: -panel.limit, zmax: panel.limit, zmid: 0, xgap: 0, ygap: 0,
      colorbar: { thickness: 10, len: 0.6, title: { text: panel.label, side: "right" }, tickfont: { size: 9 } },
    };
    var bars = panel.bars || [], barTraces = [], offset = bars.length ? bars.length + 0.3 : 0;
    bars.forEach(function (bar, b) {
      var labels = Object.keys(panel.colors);
      if (!labels.length) return;
      var code = bar.labels.map(function (label) { return label ? labels.indexOf(label) + 1 : 0; });
      // one step of colour per code: 0 (no label) white, then each label's colour
      var colours = ["#ffffff"].concat(labels.map(function (label) { return panel.colors[label]; })), scale = [];
      colours.forEach(function (colour, c) { scale.push([c / colours.length, colour], [(c + 1) / colours.length, colour]); });
      var where = -(bars.length - b) - 0.3, hover = bar.labels.map(function (label, i) { return names[i] + ": " + (label || "none") + " (" + bar.name + ")"; });
      var common = { type: "heatmap", colorscale: scale, zmin: -0.5, zmax: labels.length + 0.5, showscale: false,
                     hoverinfo: "text", xgap: 0, ygap: 0 };
      barTraces.push(Object.assign({ x: [where], y: positions, z: code.map(function (c) { return [c]; }), text: hover.map(function (h) { return [h]; }), width: 0.8 }, common));
      barTraces.push(Object.assign({ x: positions, y: [where], z: [code], text: [hover], width: 1 }, common));
    });
    var axis = { showticklabels: showTicks, tickfont: { size: tick }, ticks: "", showgrid: false, zeroline: false,
                 tickmode: "array", tickvals: positions, ticktext: names, range: [-0.5 - offset, k - 0.5] };
    var matrixLayout = {
      width: matrixSize, height: matrixSize, font: FONT, hoverlabel: HOVER, margin: { l: labelSpace, r: 10, t: 10, b: labelSpace },
      xaxis: Object.assign({ tickangle: -90 }, axis),
      yaxis: Object.assign({}, axis, { range: [k - 0.5, -0.5 - offset] }),
      shapes: [], plot_bgcolor: "#ffffff",
    };
    var current = panel.initial.slice();
    function selection(i, j) {
      return [{ type: "rect", xref: "x", yref: "y", x0: j - 0.5, x1: j + 0.5, y0: i - 0.5, y1: i + 0.5,
                line: { color: "#000000", width: 2 } }];
    }
    matrixLayout.shapes = selection(current[0], current[1]);

    function column(j) { return scores.subarray(j * m, (j + 1) * m); }
    function scatterData(i, j) {
      var a = column(j), b = column(i), x = [], y = [], labels = [], idx = [];
      for (var u = 0; u < m; u++) {
        if (isFinite(a[u]) && isFinite(b[u])) { x.push(a[u]); y.push(b[u]); labels.push(panel.units[u]); idx.push(u); }
      }
      return { x: x, y: y, labels: labels, index: idx };
    }
    var highlighted = -1;
    function drawScatter() {
      var i = current[0], j = current[1], ij = i * k + j;
      var d = scatterData(i, j);
      var title = i === j ? names[i] + ": n = " + count(n[ij])
        : panel.label + " = " + fmt(r[ij]) + ", n = " + count(n[ij]);
      var points = {
        type: "scatter", mode: "markers", x: d.x, y: d.y, text: d.labels, name: unit + "s",
        marker: { size: m > 500 ? 4 : 6, color: "#0072B2", opacity: m > 500 ? 0.45 : 0.75 },
        hovertemplate: "%{text}<br>" + names[j] + ": %{x:.3f}<br>" + names[i] + ": %{y:.3f}<extra></extra>",
      };
      var mark = { type: "scatter", mode: "markers+text", x: [], y: [], text: [], textposition: "top center", hoverinfo: "skip",
                   marker: { size: 11, color: "rgba(0,0,0,0)", line: { color: "#D55E00", width: 2.5 } },
                   textfont: { color: "#D55E00", size: 11 }, name: "found" };
      if (highlighted >= 0) {
        var a = column(j)[highlighted], b = column(i)[highlighted];
        if (isFinite(a) && isFinite(b)) { mark.x = [a]; mark.y = [b]; mark.text = [panel.units[highlighted]]; }
      }
      var layout = {
        width: scatterSize, height: side ? matrixSize : Math.min(420, scatterSize), font: FONT, showlegend: false,
        margin: { l: 50, r: 10, t: names[i].length + names[j].length > 34 ? 62 : 44, b: 46 }, hovermode: "closest", hoverlabel: HOVER,
        title: { text: names[j] + " \u00d7" + (names[i].length + names[j].length > 34 ? "<br>" : " ") + names[i] +
                       "<br><span style='font-size:11px'>" + title + "</span>", font: { size: 12 }, x: 0.02, xanchor: "left" },
        xaxis: { title: { text: names[j] + " (" + value + ")", font: { size: 10 } }, zeroline: false },
        yaxis: { title: { text: names[i] + " (" + value + ")", font: { size: 10 } }, zeroline: false },
      };
      scatterDiv.setAttribute("data-pair", panel.tasks[i] + "|" + panel.tasks[j]);
      scatterDiv.setAttribute("data-points", String(d.x.length));
      scatterDiv.setAttribute("data-n", String(Math.round(n[ij])));
      scatterDiv.setAttribute("aria-label", "Scatter of " + names[j] + " against " + names[i] + ": " + title + ", one point per " + unit);
      return Plotly.react(scatterDiv, [points, mark], layout, CONFIG);
    }
    function choose(i, j, announce) {
      current = [i, j];
      selects[0].value = String(i);
      selects[1].value = String(j);
      matrixLayout.shapes = selection(i, j);
      var done = Promise.all([Plotly.relayout(matrixDiv, { shapes: matrixLayout.shapes }), drawScatter()]);
      if (announce) status.textContent = cellText(i, j).replace(/<br>/g, "; ");
      return done;
    }

    selects.forEach(function (select) {
      select.addEventListener("change", function () { choose(+selects[0].value, +selects[1].value, true); });
    });
    matrixDiv.addEventListener("keydown", function (event) {
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      var move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      choose(Math.min(k - 1, Math.max(0, current[0] + move[0])), Math.min(k - 1, Math.max(0, current[1] + move[1])), true);
    });
    var datalistFilled = false;
    find.addEventListener("focus", function () {
      if (datalistFilled) return;  // filled on first use: 2,000 options need not be in every page's HTML
      datalistFilled = true;
      var fragment = document.createDocumentFragment();
      panel.units.forEach(function (name) { fragment.appendChild(el("option", { value: name })); });
      datalist.appendChild(fragment);
    });
    find.addEventListener("input", function () {
      var query = find.value.trim().toLowerCase();
      highlighted = -1;
      if (query) {
        var exact = -1, partial = [];
        for (var u = 0; u < m; u++) {
          var name = panel.units[u].toLowerCase();
          if (name === query) { exact = u; break; }
          if (name.indexOf(query) >= 0) partial.push(u);
        }
        highlighted = exact >= 0 ? exact : (partial.length === 1 ? partial[0] : -1);
        if (highlighted < 0) {
          status.textContent = partial.length ? partial.length + " " + unit + "s match; type more of the name" : "no " + unit + " matches";
        } else {
          var i = current[0], j = current[1], a = column(j)[highlighted], b = column(i)[highlighted];
          status.textContent = panel.units[highlighted] + ": " + names[j] + " " + fmt(a, 3) + ", " + names[i] + " " + fmt(b, 3) +
            (isFinite(a) && isFinite(b) ? "" : " (not in this scatter: a score is missing)");
        }
      } else {
        status.textContent = "";
      }
      scatterDiv.setAttribute("data-highlighted", highlighted >= 0 ? panel.units[highlighted] : "");
      drawScatter();
    });

    if (bars.length && Object.keys(panel.colors).length) {
      var legend = el("p", { class: "evalcorr-legend", style: "font-size:0.78rem;margin:0.1rem 0;display:flex;flex-wrap:wrap;gap:0.2rem 0.8rem" });
      Object.keys(panel.colors).forEach(function (label) {
        var item = el("span", {}, label);
        item.insertBefore(el("span", { style: "display:inline-block;width:0.8em;height:0.8em;margin-right:0.25em;vertical-align:-0.05em;background:" + panel.colors[label] }), item.firstChild);
        legend.appendChild(item);
      });
      box.insertBefore(legend, panels);
    }
    return Plotly.newPlot(matrixDiv, [heat].concat(barTraces), matrixLayout, CONFIG).then(function () {
      matrixDiv.on("plotly_click", function (event) {
        var point = event.points[0];
        if (point.curveNumber === 0) choose(point.pointIndex[0], point.pointIndex[1], true);
      });
      selects[0].value = String(current[0]);
      selects[1].value = String(current[1]);
      return drawScatter();
    });
  }

  /* ---------- transfer heatmaps ---------- */

  // a heatmap's cells print their numbers from this size (px) up; smaller cells show them on hover only
  var MIN_LABELLED_CELL = 17;
  function longestLabel(labels) { return labels.reduce(function (a, b) { return Math.max(a, b.length); }, 0); }
  function leftMargin(longest) { return Math.min(170, 40 + 5.5 * longest); }
  // cell size (px) of a heatmap `width` wide with `cols` columns (room for the row labels and colour bar)
  function cellSize(width, longest, cols) { return Math.max(12, Math.min(42, (Math.max(300, width) - leftMargin(longest) - 70) / cols)); }

  function transferHeatmaps(root, spec) {
    var grid = el("div", { class: "evalcorr-heatmaps", style: "display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:0.5rem" });
    root.appendChild(grid);
    var status = el("p", { class: "evalcorr-status", "aria-live": "polite", style: "font-size:0.85rem;min-height:1.2em;margin:0.2rem 0" });
    root.appendChild(status);
    if (spec.panels.length === 1) grid.style.gridTemplateColumns = "1fr";  // one heatmap: the full width
    // the page's layout is read once per figure: every read after a change re-lays the whole page out
    var full = grid.clientWidth || 680, columns = spec.panels.length === 1 ? 1 : Math.max(1, Math.floor((full + 8) / 338));
    var width = Math.floor((full - 8 * (columns - 1)) / columns);
    // side by side, cells too small to print their numbers: one heatmap per row, at a readable cell size
    var widest = spec.panels.reduce(function (a, p) { return Math.max(a, p.columns.length); }, 1);
    var labels = spec.panels.reduce(function (a, p) { return Math.max(a, longestLabel(p.rows)); }, 0);
    if (columns > 1 && cellSize(width, labels, widest) < MIN_LABELLED_CELL) {
      columns = 1;
      grid.style.gridTemplateColumns = "1fr";
      width = Math.min(full, Math.round(leftMargin(labels) + 32 * widest + 70));
    }
    return Promise.all(spec.panels.map(function (panel) { return heatmapPanel(grid, status, panel, width); }));
  }

  function heatmapPanel(grid, status, panel, width) {
    var rows = panel.rows.length, cols = panel.columns.length;
    var values = decode(panel.z), marked = panel.marked ? decode(panel.marked) : null;
    var extra = {};
    Object.keys(panel.extra).forEach(function (key) { extra[key] = decode(panel.extra[key]); });
    function cellText(i, j) {
      var ij = i * cols + j, lines = [panel.row_label + ": " + panel.rows[i], panel.column_label + ": " + panel.columns[j]];
      if (!isFinite(values[ij])) return lines.concat(["not released"]).join("<br>");
      lines.push(panel.value_label + " = " + fmt(values[ij], 3) + (extra.value && isFinite(extra.value[ij]) ?
        " (" + panel.labels.value + ": " + fmt(extra.value[ij], 3) + ")" : ""));
      if (extra.ci_low && isFinite(extra.ci_low[ij])) lines.push("95% interval [" + fmt(extra.ci_low[ij], 3) + ", " + fmt(extra.ci_high[ij], 3) + "]");
      if (extra.after && isFinite(extra.after[ij])) lines.push(panel.labels.after + ": " + fmt(extra.after[ij], 3));
      if (extra.baseline && isFinite(extra.baseline[ij])) lines.push(panel.labels.baseline + ": " + fmt(extra.baseline[ij], 3));
      else if (panel.note) lines.push(panel.note);
      if (extra.n_items && isFinite(extra.n_items[ij])) lines.push(count(extra.n_items[ij]) + " items scored");
      if (extra.n && isFinite(extra.n[ij])) lines.push(panel.labels.n + ": " + count(extra.n[ij]));
      if (marked && marked[ij]) lines.push("the 95% interval includes 0");
      return lines.join("<br>");
    }
    var z = [], text = [], labels = [], hatch = [];
    for (var i = 0; i < rows; i++) {
      var zr = [], tr = [], lr = [];
      for (var j = 0; j < cols; j++) {
        var v = values[i * cols + j];
        // the cell's annotation as the static figure prints it
        zr.push(isFinite(v) ? v : null); tr.push(cellText(i, j));
        lr.push(panel.annotations ? panel.annotations[i * cols + j].replace("-", "\u2212") : compact(v));
        if (marked && marked[i * cols + j]) {
          // three diagonal strokes across the cell, as the static figure hatches it
          hatch.push("M" + (j - 0.5) + "," + (i + 0.5) + "L" + (j + 0.5) + "," + (i - 0.5) +
                     "M" + (j - 0.5) + "," + i + "L" + j + "," + (i - 0.5) + "M" + j + "," + (i + 0.5) + "L" + (j + 0.5) + "," + i);
        }
      }
      z.push(zr); text.push(tr); labels.push(lr);
    }
    var div = el("div", { class: "evalcorr-heatmap", tabindex: "0", role: "img",
                          "aria-label": (panel.title || panel.value_label) + ": use the arrow keys to read the cells" });
    grid.appendChild(div);
    // cell size from the width; margins from the longest labels
    width = Math.max(300, width);
    var left = leftMargin(longestLabel(panel.rows)), bottom = Math.min(130, 35 + 4.2 * longestLabel(panel.columns));
    var cell = cellSize(width, longestLabel(panel.rows), cols);
    var plotWidth = Math.round(left + cell * cols + 70), plotHeight = Math.round(bottom + 35 + cell * rows);
    var traces = [{
      type: "heatmap", z: z, x: panel.columns, y: panel.rows, customdata: text, text: labels,
      hovertemplate: "%{customdata}<extra></extra>",
      colorscale: panel.colorscale, zmin: panel.vmin, zmax: panel.vmax, xgap: 1, ygap: 1,
      texttemplate: cell >= MIN_LABELLED_CELL ? "%{text}" : "", textfont: { size: Math.max(7, Math.min(10, cell * 0.36)) },
      colorbar: { thickness: 9, len: 0.8, tickfont: { size: 8 } },
    }];
    var shapes = hatch.length ? [{ type: "path", xref: "x", yref: "y", path: hatch.join(""), layer: "above",
                                   line: { color: "rgba(110,110,110,0.8)", width: 0.6 } }] : [];
    var layout = {
      width: plotWidth, height: plotHeight, font: FONT, showlegend: false, hoverlabel: HOVER,
      title: { text: panel.title, font: { size: 11 }, x: 0.02, xanchor: "left" },
      margin: { l: left, r: 10, t: 30, b: bottom }, plot_bgcolor: "#ffffff", shapes: shapes,
      xaxis: { type: "category", tickangle: -45, tickfont: { size: 9 }, title: { text: panel.column_label, font: { size: 10 } } },
      yaxis: { type: "category", autorange: "reversed", tickfont: { size: 9 }, title: { text: panel.row_label, font: { size: 10 } } },
    };
    var focus = [0, 0];
    div.addEventListener("keydown", function (event) {
      var moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      var move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      focus = [Math.min(rows - 1, Math.max(0, focus[0] + move[0])), Math.min(cols - 1, Math.max(0, focus[1] + move[1]))];
      Plotly.relayout(div, { shapes: shapes.concat([{ type: "rect", xref: "x", yref: "y", x0: focus[1] - 0.5, x1: focus[1] + 0.5,
                                        y0: focus[0] - 0.5, y1: focus[0] + 0.5, line: { color: "#000", width: 2 } }]) });
      status.textContent = cellText(focus[0], focus[1]).replace(/<br>/g, "; ");
    });
    return Plotly.newPlot(div, traces, layout, CONFIG);
  }

  /* ---------- start ---------- */

  var KINDS = { "linked-matrix": linkedMatrix, "transfer-heatmaps": transferHeatmaps };

  var drawing = new Map();  // figure element -> the promise of its drawing

  function draw(root) {
    if (drawing.has(root)) return drawing.get(root);
    var spec = JSON.parse(root.querySelector('script[type="application/json"]').textContent);
    var kind = KINDS[spec.kind];
    var start = performance.now();
    var done = kind ? kind(root, spec) : Promise.reject(new Error("evalcorr: unknown figure kind " + spec.kind));
    done = done.then(function () {
      root.setAttribute("data-ready", "true");
      root.setAttribute("data-draw-ms", String(Math.round(performance.now() - start)));
    });
    drawing.set(root, done);
    return done;
  }

  function idle() {
    return new Promise(function (resolve) { (window.requestIdleCallback || setTimeout)(resolve); });
  }

  function signal(name, property) {
    window[property] = performance.now();
    document.dispatchEvent(new CustomEvent(name));
  }

  /* The figures on or near the screen are drawn first: then the page is usable ("evalcorr:ready",
   * window.evalcorrReadyAt). The others follow one per idle moment, or at once when scrolled to
   * ("evalcorr:all-drawn", window.evalcorrAllDrawnAt). */
  function init() {
    window.evalcorrStartAt = performance.now();  // the scripts are loaded and compiled: drawing starts
    var figures = Array.prototype.slice.call(document.querySelectorAll("[data-evalcorr]"));
    var height = window.innerHeight || 800;
    var near = figures.filter(function (root) {
      var box = root.getBoundingClientRect();
      return box.top < 2 * height && box.bottom > -height;
    });
    var later = figures.filter(function (root) { return near.indexOf(root) < 0; });
    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) { if (entry.isIntersecting) { observer.unobserve(entry.target); draw(entry.target); } });
      }, { rootMargin: "100% 0px" });
      later.forEach(function (root) { observer.observe(root); });
    }
    return Promise.all(near.map(draw)).then(function () {
      document.documentElement.setAttribute("data-evalcorr-ready", String(near.length));
      signal("evalcorr:ready", "evalcorrReadyAt");
      return later.reduce(function (previous, root) {
        return previous.then(idle).then(function () { return draw(root); });
      }, Promise.resolve());
    }).then(function () {
      document.documentElement.setAttribute("data-evalcorr-drawn", String(figures.length));
      signal("evalcorr:all-drawn", "evalcorrAllDrawnAt");
    });
  }

  window.EvalcorrFigures = { init: init, decode: decode };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
