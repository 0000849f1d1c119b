// Site search: MiniSearch over window.EVALCORR_SEARCH_INDEX (search-index.js), all loaded from the site.
// The sidebar box shows the best matches as you type; search.html?q=... lists every match.
(function () {
  "use strict";
  var root = document.currentScript.getAttribute("data-root") || "";
  var engine = null;

  function getEngine() {
    if (engine === null && window.MiniSearch && window.EVALCORR_SEARCH_INDEX) {
      engine = new window.MiniSearch({
        fields: ["title", "section", "text"],
        storeFields: ["title", "section", "href", "text"],
        searchOptions: { boost: { section: 3, title: 2 }, prefix: true, fuzzy: 0.15, combineWith: "AND" }
      });
      engine.addAll(window.EVALCORR_SEARCH_INDEX);
    }
    return engine;
  }

  function snippet(text, terms) {
    var lower = text.toLowerCase(), at = -1;
    for (var i = 0; i < terms.length && at < 0; i++) { at = lower.indexOf(terms[i].toLowerCase()); }
    var start = Math.max(0, at - 60);
    if (start > 0) { start = text.indexOf(" ", start) + 1 || start; }  // begin at a word
    return (start > 0 ? "\u2026" : "") + text.slice(start, start + 180) + (start + 180 < text.length ? "\u2026" : "");
  }

  function show(list, query, limit) {
    var search = getEngine();
    list.textContent = "";
    if (!search) { return 0; }
    var results = search.search(query);
    results.slice(0, limit || results.length).forEach(function (result) {
      var item = document.createElement("li"), link = document.createElement("a");
      link.href = root + result.href;
      var where = document.createElement("span");
      where.className = "search-where";
      where.textContent = result.title + (result.section && result.section !== result.title ? " \u203a " + result.section : "");
      var text = document.createElement("span");
      text.className = "search-snippet";
      text.textContent = snippet(result.text, result.terms);
      link.appendChild(where);
      link.appendChild(text);
      item.appendChild(link);
      list.appendChild(item);
    });
    if (!results.length) {
      var none = document.createElement("li");
      none.className = "search-none";
      none.textContent = "No match for \u201c" + query + "\u201d.";
      list.appendChild(none);
    }
    return results.length;
  }

  var input = document.getElementById("search-input");
  var box = document.getElementById("search-results");
  if (input && box) {
    input.addEventListener("input", function () {
      var query = input.value.trim();
      box.hidden = query.length < 2;
      if (!box.hidden) { show(box, query, 8); }
    });
  }
  var page = document.getElementById("search-page-results");
  if (page) {
    var query = new URLSearchParams(window.location.search).get("q") || "";
    if (input) { input.value = query; }
    var count = document.getElementById("search-count");
    var n = query ? show(page, query) : 0;
    if (count) { count.textContent = query ? n + " section" + (n === 1 ? "" : "s") + " match \u201c" + query + "\u201d." : "Type a search in the box."; }
  }
})();
