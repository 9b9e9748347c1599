// The live count under an SMS answer: what the farmer's phone will make of it (characters, GSM-7 or UCS-2,
// segments), asked of the server as the agronomist types, so it is counted exactly as the outbox counts it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("textarea[data-measure]").forEach(function (box) {
    var out = document.querySelector('[data-count-for="' + box.id + '"]');
    var token = box.form.querySelector('input[name="csrf_token"]').value;
    var timer = null, asked = 0;
    function show(m) {
      out.textContent = m.summary;  // worded (and translated) by the server
      out.classList.toggle("over", m.characters > m.limit);
    }
    function ask() {
      var mine = ++asked;
      fetch(box.dataset.measure, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": token},
        body: JSON.stringify({text: box.value, ticket: box.dataset.ticket || ""})
      }).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (m) { if (m && mine === asked) show(m); })
        .catch(function () { /* the count is a help: the server checks the length again on send */ });
    }
    box.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 200); });
    ask();
  });
});

// An import's progress bar: asks how far it is every second until it is done.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-progress]");
  if (!box) return;
  var bar = box.querySelector("progress");
  function poll() {
    fetch(box.dataset.progress, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) return;
        bar.max = job.total || 1;
        bar.value = job.done;
        box.querySelectorAll("[data-field]").forEach(function (el) { el.textContent = job[el.dataset.field]; });
        if (job.state !== "done") setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
});
