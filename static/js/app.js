// Small niceties only: every flow works without this file.
(function () {
  "use strict";
  // A double tap on a touch screen must not send a form twice (it would add two pictures or
  // two answers): after the first submit, the form's buttons wait for the next page.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    window.setTimeout(function () { delete form.dataset.sent; }, 4000);
  });
})();

// Quick hide: swap the page for a neutral one at once, without leaving it in the back history.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-quick-hide]");
    if (!link) { return; }
    event.preventDefault();
    document.body.style.visibility = "hidden";
    document.querySelectorAll("form").forEach(function (form) { form.reset(); });
    window.location.replace(link.href);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.shiftKey) {
      var link = document.querySelector("[data-quick-hide]");
      if (link) { window.location.replace(link.href); }
    }
  });
})();

// "Read it to me" for KS1: a button beside every text block and option marked data-read.
// Uses the browser's own speech (nothing leaves the device) and highlights each word as it is
// spoken. Where the device has no voice, the button says so instead of doing nothing.
(function () {
  "use strict";
  if (!document.body.classList.contains("band-ks1")) { return; }
  var synth = window.speechSynthesis;
  var speaking = null;

  function voicesReady(callback) {
    if (!synth) { callback(false); return; }
    if (synth.getVoices().length) { callback(true); return; }
    var done = false;
    var finish = function () {
      if (done) { return; }
      done = true;
      callback(synth.getVoices().length > 0);
    };
    synth.addEventListener("voiceschanged", finish, { once: true });
    window.setTimeout(finish, 700);
  }

  function wrapWords(el) {
    if (el.dataset.wrapped) { return; }
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    var nodes = [];
    while (walker.nextNode()) { nodes.push(walker.currentNode); }
    nodes.forEach(function (node) {
      var parts = node.textContent.split(/(\s+)/);
      var frag = document.createDocumentFragment();
      parts.forEach(function (part) {
        if (!part) { return; }
        if (/^\s+$/.test(part)) { frag.appendChild(document.createTextNode(part)); return; }
        var span = document.createElement("span");
        span.className = "w";
        span.textContent = part;
        frag.appendChild(span);
      });
      node.parentNode.replaceChild(frag, node);
    });
    el.dataset.wrapped = "1";
  }

  function clearHighlight() {
    document.querySelectorAll(".w.is-spoken").forEach(function (w) { w.classList.remove("is-spoken"); });
  }

  // Said once per page, where every child can see it (a round button beside a choice shows
  // no words): the device cannot read aloud, and who can help instead.
  function noVoiceNote() {
    if (document.querySelector(".say-note")) { return; }
    var note = document.createElement("p");
    note.className = "say-note";
    note.setAttribute("role", "status");
    note.textContent = "This device can't read aloud. Ask a grown-up to read it with you.";
    var main = document.querySelector("main");
    var heading = main && main.querySelector("h1");
    if (heading) { heading.insertAdjacentElement("afterend", note); } else if (main) { main.prepend(note); }
  }

  function read(el, button) {
    voicesReady(function (ok) {
      if (!ok) {
        button.querySelector("span").textContent = "No voice on this device";
        button.classList.add("say-unavailable");
        button.setAttribute("aria-disabled", "true");
        noVoiceNote();
        return;
      }
      synth.cancel();
      clearHighlight();
      wrapWords(el);
      var words = Array.prototype.slice.call(el.querySelectorAll(".w"));
      var text = words.map(function (w) { return w.textContent; }).join(" ");
      var starts = [];
      var pos = 0;
      words.forEach(function (w) { starts.push(pos); pos += w.textContent.length + 1; });
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = "en-GB";
      utterance.rate = 0.9;
      utterance.onboundary = function (event) {
        if (event.name && event.name !== "word") { return; }
        clearHighlight();
        for (var i = starts.length - 1; i >= 0; i--) {
          if (starts[i] <= event.charIndex) { words[i].classList.add("is-spoken"); break; }
        }
      };
      utterance.onend = utterance.onerror = function () { clearHighlight(); speaking = null; };
      speaking = utterance;
      synth.speak(utterance);
    });
  }

  document.querySelectorAll("[data-read]").forEach(function (el, index) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "say";
    var label = el.getAttribute("data-read-label") || el.textContent.trim().slice(0, 60);
    button.setAttribute("aria-label", "Read it to me: " + label);
    var icon = document.createElement("img");
    icon.src = document.body.dataset.speaker || "";
    icon.alt = "";
    icon.width = 24;
    icon.height = 24;
    var text = document.createElement("span");
    text.textContent = "Read it to me";
    button.appendChild(icon);
    button.appendChild(text);
    button.addEventListener("click", function () { read(el, button); });
    var row = el.closest(".say-row");
    if (row) { row.appendChild(button); } else { el.insertAdjacentElement("afterend", button); }
  });
})();

// Print buttons on printable pages (letters, cards, certificates); hidden when this file is
// not running, where the page tells the reader to use the browser's own Print command.
(function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-print-hint]").forEach(function (hint) { hint.hidden = true; });
})();

// "Are you still there?" on a pupil's pages: two minutes before the idle sign-out a question
// appears; "yes" (or typing) tells the server the pupil is still here. Without this file the
// page itself moves to the same question (a <noscript> refresh in base.html).
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.dataset.idle || "0", 10);
  if (!idle) { return; }
  var box = document.querySelector("[data-still-there]");
  var warnTimer, endTimer;
  var lastPing = Date.now();
  function schedule() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    if (box) { box.hidden = true; }
    warnTimer = window.setTimeout(function () {
      if (box) { box.hidden = false; box.querySelector("button").focus(); }
    }, Math.max(idle - 120, 5) * 1000);
    endTimer = window.setTimeout(function () {
      window.location.replace(body.dataset.away);
    }, (idle + 5) * 1000);
  }
  function ping() {
    var token = document.querySelector("input[name=csrf_token]");
    var data = new FormData();
    if (token) { data.append("csrf_token", token.value); }
    lastPing = Date.now();
    window.fetch(body.dataset.stillHere, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (response.ok) { schedule(); } else { window.location.replace(body.dataset.away); }
    });
  }
  var yes = document.querySelector("[data-still-there-yes]");
  if (yes) { yes.addEventListener("click", ping); }
  document.addEventListener("input", function () {
    if (Date.now() - lastPing > 60000) { ping(); }
  });
  schedule();
})();
