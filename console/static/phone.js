// The console's feature phone: keys and words go to the console (same origin, CSRF token), which posts what the
// provider would post to the real endpoint and answers with what to draw. Every text drawn here is set with
// textContent, never as HTML: screens and SMS hold what farmers and agronomists wrote.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("phone");
  if (!form) return;
  var token = form.querySelector('input[name="csrf_token"]').value;
  var screen = document.getElementById("phone-screen");
  var words = document.getElementById("phone-words");
  var error = document.getElementById("phone-error");
  var posted = document.getElementById("phone-posted");
  var mode = "ussd", live = false, listening = null;

  function $(id) { return document.getElementById(id); }
  function show(text) { screen.textContent = text; }

  function send(url, fields) {
    var body = new FormData();
    body.append("csrf_token", token);
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    error.textContent = "";
    return fetch(url, {method: "POST", credentials: "same-origin", body: body, headers: {"X-CSRFToken": token}})
      .then(function (r) {
        return r.headers.get("Content-Type").indexOf("json") >= 0 ? r.json() :
          r.text().then(function (t) { return {error: "HTTP " + r.status, status: r.status, page: t}; });
      })
      .then(function (a) {
        if (a.posted) posted.textContent = Object.keys(a.posted).map(function (k) {
          return k + "=" + a.posted[k]; }).join("\n");
        if (a.error) error.textContent = a.error;
        return a;
      });
  }

  function measure(a) {
    $("phone-length").textContent = a.length + " / " + a.limit + (a.over ? " !" : "");
    $("phone-length").classList.toggle("over", !!a.over);
    $("phone-encoding").textContent = a.encoding + " · " + a.network;
  }

  var modes = {
    ussd: {
      hint: "said-dial",
      call: function () {
        var typed = words.value.trim();
        var dial = !live || /^\*[0-9*]+#$/.test(typed);
        var fields = dial ? {action: "dial", service_code: /^\*[0-9*]+#$/.test(typed) ? typed : "",
                             network: $("phone-network").value}
                          : {action: "send", words: words.value};
        send(form.dataset.ussd, fields).then(function (a) {
          if (a.kind === undefined) return;
          words.value = "";
          show(a.screen + (a.ended ? "\n\n" + form.dataset.saidEnded : ""));
          live = !a.ended;
          measure(a);
        });
      },
      end: function () {  // hanging up: Africa's Talking reports the session over (Incomplete)
        var was = live;
        live = false;
        if (!was) { show(form.dataset.saidEnded); return; }
        send(form.dataset.ussd, {action: "hangup"}).then(function () { show(form.dataset.saidEnded); });
      }
    },
    sms: {
      hint: "said-sms",
      call: function () {
        if (!words.value.trim()) return;
        var text = words.value;
        send(form.dataset.sms, {words: text, provider: $("phone-sms-provider").value}).then(function (a) {
          if (a.inbox) { words.value = ""; drawInbox(a.inbox); }
          show(a.inline_reply || text);
        });
      },
      end: function () { words.value = ""; }
    },
    voice: {
      hint: "said-voice",
      call: function () {
        var fields = !live ? {action: "call", provider: $("phone-voice-provider").value}
          : (words.value ? {action: "keys", digits: words.value} : {action: "silence"});
        turn(fields);
      },
      key: function (key) { if (live && listening === "keys") turn({action: "keys", digits: key}); },
      end: function () { if (live) turn({action: "hangup"}); }
    }
  };

  function turn(fields) {
    show(form.dataset.saidWaiting);
    send(form.dataset.voice, fields).then(function (a) {
      words.value = "";
      if (a.said === undefined) return;
      live = !a.ended; listening = a.listening;
      var lines = a.said.slice();
      if (a.listening === "recording") lines.push(form.dataset.saidRecord);
      if (a.ended) lines.push(form.dataset.saidHungup);
      show(lines.join("\n\n"));
      drawClips(a.clips || []);
    });
  }

  function drawClips(clips) {
    var list = $("phone-clips");
    list.textContent = "";
    clips.forEach(function (clip) {
      var item = document.createElement("li");
      var name = document.createElement("code");
      name.textContent = clip.path;
      item.appendChild(name);
      if (clip.exists) {
        var audio = document.createElement("audio");
        audio.controls = true; audio.src = clip.path; audio.preload = "none";
        item.appendChild(audio);
      } else {
        var missing = document.createElement("small");
        missing.textContent = " " + list.dataset.missing;
        item.appendChild(missing);
      }
      list.appendChild(item);
    });
  }

  function drawInbox(entries) {
    var body = $("phone-inbox");
    body.textContent = "";
    if (!entries.length) {
      var none = body.insertRow(); var cell = none.insertCell(); cell.colSpan = 6;
      cell.textContent = body.dataset.empty;
    }
    entries.forEach(function (e) {
      var row = body.insertRow();
      row.className = e.way === "in" ? "received" : "sent";
      [(e.at || "").replace("T", " ").slice(0, 19), e.way === "in" ? body.dataset.in : body.dataset.out, e.text,
       e.encoding, String(e.segments), e.status + (e.note ? ": " + e.note : "")].forEach(function (value) {
        row.insertCell().textContent = value;
      });
    });
  }

  function refreshInbox() {
    fetch(form.dataset.inbox, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (a) { drawInbox(a.inbox); }).catch(function () {});
  }

  form.querySelectorAll("button.mode").forEach(function (button) {
    button.addEventListener("click", function () {
      if (live && modes[mode].end) modes[mode].end();
      mode = button.dataset.mode; live = false; listening = null;
      form.querySelectorAll("button.mode").forEach(function (b) { b.setAttribute("aria-pressed", b === button); });
      form.querySelectorAll("fieldset[data-for]").forEach(function (f) { f.hidden = f.dataset.for !== mode; });
      words.value = "";
      show(form.dataset[modes[mode].hint.replace(/-(\w)/, function (_, c) { return c.toUpperCase(); })]);
    });
  });
  form.querySelectorAll("button.key[data-key]").forEach(function (button) {
    button.addEventListener("click", function () {
      var key = button.dataset.key;
      if (mode === "voice" && live) { modes.voice.key(key); return; }
      words.value += key;
      words.focus();
    });
  });
  $("phone-call").addEventListener("click", function () { modes[mode].call(); });
  $("phone-end").addEventListener("click", function () { modes[mode].end(); });
  $("phone-clear").addEventListener("click", function () { words.value = words.value.slice(0, -1); });
  form.addEventListener("submit", function (event) { event.preventDefault(); modes[mode].call(); });
  show(form.dataset.saidDial);
  refreshInbox();
  setInterval(refreshInbox, 5000);  // replies queued by the outbox land a moment after the message
});
