// The report's explorer: search and filters over the embedded sentences, and the per-entity drill-down.
// Plain JavaScript, inlined into the page; it reads the JSON in <script id="report-data"> and fetches nothing.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var q = $("q"), fOutlet = $("f-outlet"), fMonth = $("f-month"), fEntity = $("f-entity"), fStance = $("f-stance");
  var PAGE = 200, limit = PAGE;
  var ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
  function esc(t) { return String(t).replace(/[&<>"]/g, function (c) { return ESC[c]; }); }
  function num(n) { return n.toLocaleString("en"); }

  // What a search looks in: the sentence, its holder, its article's title and outlet, the entities it names.
  D.sentences.forEach(function (s) {
    var a = D.articles[s[0]];
    var names = s[5].map(function (m) { return D.entities[m[0]][1]; }).join(" ");
    s.hay = [s[2], s[4], a[1], D.outlets[a[2]] || "", names].join(" ").toLowerCase();
  });

  function filters() {
    return { q: q.value.trim().toLowerCase(), outlet: fOutlet.value, month: fMonth.value,
             entity: fEntity.value, stance: fStance.value };
  }

  function articleMatches(a, f) {
    return (f.outlet === "" || String(a[2]) === f.outlet) && (f.month === "" || String(a[3]) === f.month);
  }

  function matches(s, f) {
    if (!articleMatches(D.articles[s[0]], f)) return false;
    if (f.entity !== "" && !s[5].some(function (m) { return String(m[0]) === f.entity; })) return false;
    if (f.stance === "stance" && s[3] < 0) return false;
    if (f.stance === "none" && s[3] >= 0) return false;
    if (/^\d+$/.test(f.stance) && String(s[3]) !== f.stance) return false;
    return !f.q || s.hay.indexOf(f.q) >= 0;
  }

  function marked(s, selected) {
    var text = s[2], out = "", pos = 0;
    s[5].slice().sort(function (x, y) { return x[1] - y[1]; }).forEach(function (m) {
      if (m[1] < pos) return;
      var e = D.entities[m[0]];
      out += esc(text.slice(pos, m[1])) + '<mark class="ent lbl-' + esc(e[2]) + (String(m[0]) === selected ? " sel" : "") +
        '" data-pick="' + m[0] + '" title="' + esc(e[1] + " · " + e[0]) + '">' + esc(text.slice(m[1], m[2])) + "</mark>";
      pos = m[2];
    });
    return out + esc(text.slice(pos));
  }

  function row(s, f) {
    var a = D.articles[s[0]];
    var type = s[3] >= 0 ? D.types[s[3]] : "";
    var title = a[6] ? '<a href="#a-' + esc(a[0]) + '">' + esc(a[1]) + "</a>" : esc(a[1]);
    var copies = a[5] > 1 ? " · " + a[5] + " copies" : "";
    return "<tr><td>" + title + '<br><span class="note">' + esc(a[4]) + " · " + esc(D.outlets[a[2]] || "—") +
      copies + "</span></td><td>" + (type ? '<span class="stance-tag tag-' + esc(type) + '">' + esc(type) +
      "</span>" : "—") + "</td><td>" + esc(s[4] || "—") + "</td><td>" + marked(s, f.entity) + "</td></tr>";
  }

  // Stance share per month as 100% stacked bars: rows = [[month index, [count per type]], ...].
  function shareSvg(rows) {
    var w = 16, h = 60, out = "";
    rows.forEach(function (r, i) {
      var total = r[1].reduce(function (x, y) { return x + y; }, 0), y = 0;
      r[1].forEach(function (n, t) {
        if (!n) return;
        var bh = h * n / total;
        out += '<rect class="fill-' + esc(D.types[t]) + '" x="' + (i * w) + '" y="' + y.toFixed(2) + '" width="' +
          (w - 2) + '" height="' + bh.toFixed(2) + '"><title>' + esc(D.months[r[0]] + " · " + D.types[t] + ": " +
          n + " of " + total) + "</title></rect>";
        y += bh;
      });
      out += '<text x="' + (i * w + w / 2 - 1) + '" y="' + (h + 4) + '" transform="rotate(60 ' + (i * w + w / 2 - 1) +
        " " + (h + 4) + ')">' + esc(D.months[r[0]]) + "</text>";
    });
    return '<svg class="share" width="' + Math.max(rows.length * w, 40) + '" height="' + (h + 52) + '">' + out + "</svg>";
  }

  function drill(f) {
    var panel = $("drill");
    if (f.entity === "") { panel.hidden = true; return; }
    var e = D.entities[+f.entity], st = D.stats[f.entity] || [0, 0, 0, 0], share = D.share[f.entity];
    panel.hidden = false;
    panel.innerHTML = "<h3>" + esc(e[1]) + ' <mark class="ent lbl-' + esc(e[2]) + '">' + esc(e[2]) + "</mark> " +
      '<span class="note">' + esc(e[0]) + "</span></h3><p>In all articles: <b>" + num(st[0]) + "</b> mentions in <b>" +
      num(st[1]) + "</b> articles; <b>" + num(st[2]) + "</b> stance sentences mention it; holder of <b>" +
      num(st[3]) + "</b>.</p>" + (share ? "<h4>Stance share over time</h4>" + shareSvg(share) :
      '<p class="note">No stance sentence mentions it.</p>') +
      "<h4>Every sentence that mentions it</h4>";
  }

  function render() {
    var f = filters(), out = [], n = 0, arts = {};
    D.sentences.forEach(function (s) {
      if (!matches(s, f)) return;
      n += 1;
      arts[s[0]] = true;
      if (out.length < limit) out.push(row(s, f));
    });
    $("rows").innerHTML = out.join("");
    $("count").textContent = num(n) + " of " + num(D.sentences.length) + " sentences" +
      (n > out.length ? ", showing the first " + num(out.length) : "");
    $("more").hidden = n <= out.length;
    var narrowed = f.q || f.entity !== "" || f.stance !== "";
    document.querySelectorAll("#story-list tbody tr").forEach(function (tr) {
      var i = +tr.getAttribute("data-a");
      tr.hidden = !(articleMatches(D.articles[i], f) && (!narrowed || arts[i]));
    });
    drill(f);
  }

  function update() { limit = PAGE; render(); }

  function pick(index) {
    if (!fEntity.querySelector('option[value="' + index + '"]')) {
      var e = D.entities[+index], opt = document.createElement("option");
      opt.value = index;
      opt.textContent = e[1] + " (" + e[2] + ")";
      fEntity.appendChild(opt);
    }
    fEntity.value = index;
    update();
    $("explore").scrollIntoView();
  }

  [q, fOutlet, fMonth, fEntity, fStance].forEach(function (el) { el.addEventListener("input", update); });
  $("reset").addEventListener("click", function () {
    q.value = ""; fOutlet.value = ""; fMonth.value = ""; fEntity.value = ""; fStance.value = "";
    update();
  });
  $("more").addEventListener("click", function () { limit += PAGE; render(); });
  document.addEventListener("click", function (ev) {
    var el = ev.target.closest("[data-pick]");
    if (el) { ev.preventDefault(); pick(el.getAttribute("data-pick")); }
  });
  $("explorer-ui").hidden = false;
  render();
})();
