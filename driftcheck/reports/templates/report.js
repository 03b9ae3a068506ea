(function () {
  "use strict";
  // Progressive enhancement only: without this script every pipeline is shown and nothing is lost.
  // State lives in the URL fragment (#status=drifted,missing&region=us-east-1&q=api&sort=diffs&dir=desc);
  // a fragment without "=" is a plain anchor (#p-3) and leaves the view alone.
  var form = document.querySelector("form.filters");
  var table = document.querySelector("table.index");
  var shown = document.querySelector(".shown");
  if (!form || !table) { return; }
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var sections = {};
  rows.forEach(function (row, order) {
    row.order = order;
    sections[row.getAttribute("data-idx")] = document.getElementById("p-" + row.getAttribute("data-idx"));
  });
  var groups = Array.prototype.slice.call(document.querySelectorAll("section.group"));
  var keys = ["status", "account", "region", "kind", "q", "sort", "dir"];
  var state = {};

  function blank() {
    return { status: [], account: "", region: "", kind: "", q: "", sort: "", dir: "asc" };
  }

  function parse(hash) {
    var next = blank();
    var params = new URLSearchParams(hash.replace(/^#/, ""));
    keys.forEach(function (key) {
      var value = params.get(key);
      if (value === null) { return; }
      if (key === "status") { next.status = value.split(",").filter(Boolean); }
      else { next[key] = value; }
    });
    if (next.dir !== "desc") { next.dir = "asc"; }
    return next;
  }

  function serialize(s) {
    var params = new URLSearchParams();
    if (s.status.length) { params.set("status", s.status.join(",")); }
    ["account", "region", "kind", "q"].forEach(function (key) { if (s[key]) { params.set(key, s[key]); } });
    if (s.sort) { params.set("sort", s.sort); params.set("dir", s.dir); }
    return params.toString();
  }

  function toForm() {
    Array.prototype.forEach.call(form.elements.status, function (box) { box.checked = state.status.indexOf(box.value) >= 0; });
    ["account", "region", "kind"].forEach(function (key) {
      var select = form.elements[key];
      var known = Array.prototype.some.call(select.options, function (o) { return o.value === state[key]; });
      select.value = known ? state[key] : "";
    });
    form.elements.q.value = state.q;
  }

  function fromForm() {
    state.status = Array.prototype.filter.call(form.elements.status, function (box) { return box.checked; })
      .map(function (box) { return box.value; });
    state.account = form.elements.account.value;
    state.region = form.elements.region.value;
    state.kind = form.elements.kind.value;
    state.q = form.elements.q.value;
  }

  function cellKey(row, column) {
    var cell = row.cells[column];
    var value = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
    return value.trim().toLowerCase();
  }

  function sortRows() {
    var column = -1;
    headers.forEach(function (th, index) {
      var active = th.getAttribute("data-key") === state.sort;
      if (active) { column = index; th.setAttribute("aria-sort", state.dir === "desc" ? "descending" : "ascending"); }
      else { th.removeAttribute("aria-sort"); }
    });
    var ordered = rows.slice();
    if (column >= 0) {
      var sign = state.dir === "desc" ? -1 : 1;
      var sortKeys = rows.map(function (row) { return cellKey(row, column); });
      var numeric = sortKeys.every(function (key) { return key !== "" && !isNaN(Number(key)); });
      var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
      ordered.sort(function (a, b) {
        var x = sortKeys[a.order], y = sortKeys[b.order];
        var c = numeric ? Number(x) - Number(y) : collator.compare(x, y);
        return c !== 0 ? sign * c : a.order - b.order;
      });
    }
    var current = tbody.rows;
    var same = ordered.every(function (row, index) { return current[index] === row; });
    if (same) { return; }
    var fragment = document.createDocumentFragment();
    ordered.forEach(function (row) { fragment.appendChild(row); });
    tbody.appendChild(fragment);
  }

  function matches(row, words) {
    if (state.status.length && state.status.indexOf(row.getAttribute("data-status")) < 0) { return false; }
    if (state.account && row.getAttribute("data-account") !== state.account) { return false; }
    if (state.region && row.getAttribute("data-region") !== state.region) { return false; }
    if (state.kind && row.getAttribute("data-kind") !== state.kind) { return false; }
    var text = row.getAttribute("data-search");
    return words.every(function (word) { return text.indexOf(word) >= 0; });
  }

  // A large index lists its first PAGE matching rows (the others are hidden, so re-sorting and filtering
  // lay out PAGE rows, not thousands); "Show more" and "Show all" lift the limit. Sections follow the filter.
  var PAGE = 200;
  var limit = rows.length > PAGE + 50 ? PAGE : Infinity;
  var moreBox = document.querySelector("p.more-rows");

  function filterRows() {
    var words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    var perGroup = {};
    Array.prototype.slice.call(tbody.rows).forEach(function (row) {
      var visible = matches(row, words);
      var listed = visible && count < limit;
      if (row.hidden === listed) { row.hidden = !listed; }  // touch only what changes
      var section = sections[row.getAttribute("data-idx")];
      if (section && section.hidden === visible) { section.hidden = !visible; }
      if (visible) {
        count += 1;
        perGroup[row.getAttribute("data-status")] = true;
      }
    });
    groups.forEach(function (group) { group.hidden = !perGroup[group.getAttribute("data-status")]; });
    var text = count === rows.length
      ? "Showing all " + rows.length + " pipelines."
      : "Showing " + count + " of " + rows.length + " pipelines (filtered).";
    if (count > limit) { text += " The index lists the first " + limit + "."; }
    shown.textContent = text;
    if (moreBox) { moreBox.hidden = count <= limit; }
  }

  function apply(writeHash) {
    sortRows();
    filterRows();
    if (writeHash) {
      var hash = serialize(state);
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    }
  }

  function fromHash() {
    var hash = location.hash;
    if (hash.indexOf("=") < 0) { return false; }
    state = parse(hash);
    toForm();
    return true;
  }

  headers.forEach(function (th) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    button.setAttribute("aria-label", "Sort by " + th.textContent);
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      state.dir = state.sort === key && state.dir === "asc" ? "desc" : "asc";
      state.sort = key;
      apply(true);
    });
  });
  form.addEventListener("input", function () { fromForm(); apply(true); });
  form.addEventListener("change", function () { fromForm(); apply(true); });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () {
    window.setTimeout(function () { state = blank(); toForm(); apply(true); }, 0);
  });
  Array.prototype.forEach.call(document.querySelectorAll("ul.counts a[data-filter]"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var status = link.getAttribute("data-filter");
      state = blank();
      if (status) { state.status = [status]; }
      toForm();
      apply(true);
      table.scrollIntoView();
    });
  });
  if (moreBox) {
    moreBox.querySelector("button.more").addEventListener("click", function () { limit += PAGE; apply(false); });
    moreBox.querySelector("button.all").addEventListener("click", function () { limit = Infinity; apply(false); });
  }
  window.addEventListener("beforeprint", function () { if (limit !== Infinity) { limit = Infinity; apply(false); } });
  window.addEventListener("hashchange", function () { if (fromHash()) { apply(false); } });

  state = blank();
  fromHash();
  form.hidden = false;
  apply(false);
})();
