(function () {
  "use strict";
  // Sorting and filtering for tables marked "interactive". Without this script they are plain
  // tables; the controls are created here so that nothing dead shows when scripts are off.
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  function sortValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var value = cell.getAttribute("data-sort");
    return value !== null ? value : cell.textContent.trim().toLowerCase();
  }

  function compare(a, b) {
    var x = Number(a), y = Number(b);
    if (a !== "" && b !== "" && !isNaN(x) && !isNaN(y)) { return x - y; }
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function makeSortable(table) {
    var body = table.tBodies[0];
    var headers = table.tHead.rows[0].cells;
    each(headers, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        each(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var order = compare(sortValue(r1, index), sortValue(r2, index));
          return ascending ? order : -order;
        });
        each(rows, function (row) { body.appendChild(row); });
      });
    });
  }

  function makeFilterable(table) {
    var body = table.tBodies[0];
    var tools = document.createElement("div");
    var input = document.createElement("input");
    var count = document.createElement("span");
    tools.className = "table-tools";
    input.type = "search";
    input.className = "filter";
    input.placeholder = "Filter rows";
    input.setAttribute("aria-label", "Filter the rows of this table");
    count.className = "meta";
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      each(body.rows, function (row) {
        var match = row.textContent.toLowerCase().indexOf(needle) !== -1;
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      count.textContent = needle ? shown + " of " + body.rows.length + " rows" : "";
    });
    tools.appendChild(input);
    tools.appendChild(count);
    table.parentNode.insertBefore(tools, table);
  }

  each(document.querySelectorAll("table.interactive"), function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    makeSortable(table);
    makeFilterable(table);
  });
  document.documentElement.classList.add("js");
}());
