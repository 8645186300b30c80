// The dashboard's live bookings: each booking the server relays from the event stream becomes the
// list's first row (built with textContent: nothing from the server is parsed as HTML).
(function () {
  "use strict";
  var list = document.querySelector("#bookings tbody");
  if (!list || !window.EventSource) { return; }
  var state = document.getElementById("live-state");
  var source = new EventSource("/office/live");
  source.addEventListener("open", function () { if (state) { state.hidden = false; } });
  source.addEventListener("error", function () { if (state) { state.hidden = true; } });
  source.addEventListener("booking", function (message) {
    var b = JSON.parse(message.data);
    var row = document.createElement("tr");
    row.className = "new";
    var cell = function (text, numeric) {
      var td = document.createElement("td");
      if (numeric) { td.className = "num"; }
      td.textContent = text;
      return td;
    };
    row.appendChild(cell(b.time));
    var ta = document.createElement("td");
    var link = document.createElement("a");
    link.href = "/office/cards/" + encodeURIComponent(b.card);
    link.textContent = String(b.ta_code);
    ta.appendChild(link);
    row.appendChild(ta);
    row.appendChild(cell(b.kind));
    row.appendChild(cell(b.amount, true));
    row.appendChild(cell(b.balance, true));
    list.insertBefore(row, list.firstChild);
    while (list.rows.length > 20) { list.deleteRow(list.rows.length - 1); }
  });
})();
