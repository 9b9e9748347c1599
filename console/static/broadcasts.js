// The broadcast composer: the audience's count, cost and start follow every change of the form (asked of the
// server, which counts as the send will), the fields of the source not chosen are hidden, and on a broadcast's
// page the progress bar and counts follow the send until it is finished.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form.compose");
  if (form) {
    var out = form.querySelector("[data-audience-count]");
    var token = form.querySelector('input[name="csrf_token"]').value;
    var source = form.querySelector('select[name="source"]');
    var timer = null, asked = 0;
    function showSource() {
      form.querySelectorAll("[data-when-source]").forEach(function (box) {
        box.hidden = box.dataset.whenSource !== source.value;
      });
    }
    function ask() {
      var mine = ++asked;
      fetch(out.dataset.audienceCount, {method: "POST", credentials: "same-origin",
        headers: {"X-CSRFToken": token}, body: new FormData(form)})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (a) {
          if (!a || mine !== asked) return;
          var words = a.problem ? a.problem : a.recipients + " farmers · " + (a.segments || 0) + " SMS segments · about "
            + a.estimated_cost + " · starts " + a.starts;
          if (!a.problem && a.recipients === 0) words = "Nobody: " + (a.empty || "no consenting farmer");
          if (a.problems && a.problems.length) words += " · " + a.problems.join("; ");
          out.textContent = words;
          out.classList.toggle("over", !!a.problem || a.recipients === 0 || !!(a.problems && a.problems.length));
        }).catch(function () { /* a help only: the preview counts again */ });
    }
    form.querySelectorAll("[data-audience]").forEach(function (el) {
      el.addEventListener(el.tagName === "TEXTAREA" || el.type === "text" ? "input" : "change", function () {
        showSource(); clearTimeout(timer); timer = setTimeout(ask, 300);
      });
    });
    showSource();
    ask();
  }
  var box = document.querySelector("[data-broadcast-progress]");
  if (!box) return;
  function poll() {
    fetch(box.dataset.broadcastProgress, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (b) {
        if (!b) return;
        var total = Math.max(b.recipients, 1), x = 0;
        box.querySelectorAll("rect[data-status]").forEach(function (rect) {
          var w = (b.counts[rect.dataset.status] || 0) * 1000 / total;
          rect.setAttribute("x", x); rect.setAttribute("width", w); x += w;
        });
        box.querySelectorAll("[data-count]").forEach(function (el) { el.textContent = b.counts[el.dataset.count]; });
        box.querySelectorAll("[data-field]").forEach(function (el) {
          if (b[el.dataset.field] !== undefined && b[el.dataset.field] !== null) el.textContent = b[el.dataset.field];
        });
        if (b.state === "sending" || b.state === "scheduled") setTimeout(poll, 2000);
      }).catch(function () { setTimeout(poll, 5000); });
  }
  poll();
});

// A form that asks before it acts (cancelling a broadcast).
document.addEventListener("submit", function (event) {
  var question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
