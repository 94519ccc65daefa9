// Nothing typed without a connection is lost (where JavaScript runs):
//
// - The conversation composer keeps its unsent text and client key in localStorage, under the
//   conversation's id only, until the message is sent; a reload brings both back. A send that
//   failed without a connection says so, and goes again when the browser is back online (or on
//   the next page load) with the SAME client key: the server stores one message per key.
// - The home-measurement form, sent while the browser is offline, keeps its values and client
//   key in localStorage, shows what is waiting, and posts it once back online (or on the next
//   page load), with the same key: the server stores one reading per key.
//
// Values on the device are patient data: they stay only until sent, and logging out (the user
// menu's form) removes them. The Dutch texts come from the templates (data- attributes).
(function () {
  "use strict";
  var PREFIX = "regiozorg-offline:";
  var QUEUE = PREFIX + "measurements";
  var SENT_NOTE = PREFIX + "sent";  // sessionStorage: "sent" shown on the next page

  function read(store, key) {
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }
  function write(store, key, value) {
    try {
      if (value === null) { store.removeItem(key); } else { store.setItem(key, JSON.stringify(value)); }
    } catch (e) { /* private mode or full: nothing kept */ }
  }
  function offline() { return navigator.onLine === false; }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  // --- logging out removes everything kept here ------------------------------------------
  document.addEventListener("submit", function (event) {
    if (!event.target || !event.target.hasAttribute("data-logout")) { return; }
    try {
      Object.keys(localStorage).forEach(function (key) {
        if (key.indexOf(PREFIX) === 0) { localStorage.removeItem(key); }
      });
      sessionStorage.removeItem(SENT_NOTE);
    } catch (e) { /* nothing kept */ }
  });

  // --- the conversation composer ---------------------------------------------------------
  function composer() { return document.querySelector("form#composer[data-draft]"); }
  function draftKey(form) { return PREFIX + "conversation-" + form.dataset.draft; }
  function parts(form) {
    return { text: form.querySelector("textarea"), key: form.querySelector("input[name=client_key]") };
  }

  function showDraftNotice(form, shown) {
    var notice = form.querySelector("[data-draft-notice]");
    if (!shown) { if (notice) { notice.remove(); } return; }
    if (notice) { return; }
    notice = document.createElement("div");
    notice.className = "alert alert-warning py-2";
    notice.setAttribute("role", "status");
    notice.setAttribute("data-draft-notice", "");
    notice.textContent = form.dataset.draftWaiting;
    form.insertBefore(notice, form.firstChild);
  }

  function saveDraft(form, failed) {
    var p = parts(form);
    if (!p.text || !p.key) { return; }
    var before = read(localStorage, draftKey(form));
    if (!p.text.value.trim()) { write(localStorage, draftKey(form), null); return; }
    write(localStorage, draftKey(form), {
      body: p.text.value,
      client_key: p.key.value,
      failed: Boolean(failed || (before && before.failed)),
    });
  }

  function sendFailed(form) {
    saveDraft(form, true);
    showDraftNotice(form, true);
  }

  function resendDraft() {
    var form = composer();
    if (!form || offline()) { return; }
    var draft = read(localStorage, draftKey(form));
    if (draft && draft.failed && parts(form).text.value.trim()) { form.requestSubmit(); }
  }

  function restoreDraft() {
    var form = composer();
    if (!form) { return; }
    var draft = read(localStorage, draftKey(form));
    var p = parts(form);
    if (!draft || !p.text || !p.key || p.text.value.trim()) { return; }
    p.text.value = draft.body;
    p.key.value = draft.client_key;  // the same key: a message that did arrive is not doubled
    if (draft.failed) { showDraftNotice(form, true); }
  }

  document.addEventListener("input", function (event) {
    var form = composer();
    if (form && event.target && event.target.form === form) { saveDraft(form, false); }
  });
  // On window, before live.js and htmx (document, capture): offline, nothing is tried.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form !== composer() || !offline()) { return; }
    var files = form.querySelector("input[type=file]");
    if (files && files.files.length) { return; }  // attachments are not kept here
    event.preventDefault();
    event.stopPropagation();
    sendFailed(form);
  }, true);
  document.addEventListener("htmx:sendError", function (event) {
    if (event.target && event.target === composer()) { sendFailed(event.target); }
  });
  // Sent: by htmx (the composer comes back empty, with a fresh key) or over the socket.
  document.addEventListener("htmx:afterSwap", function (event) {
    var form = event.target;
    if (form && form.id === "composer" && form.dataset.draft && !form.querySelector(".alert-danger")) {
      write(localStorage, draftKey(form), null);
    }
  });
  document.addEventListener("composer-sent", function (event) {
    var form = event.target;
    if (form && form.dataset && form.dataset.draft) {
      write(localStorage, draftKey(form), null);
      showDraftNotice(form, false);
    }
  });

  // --- home measurements -------------------------------------------------------------------
  var status = document.getElementById("offline-queue");
  var sending = false;

  function showQueue(sentLabels, refusedLabels) {
    if (!status) { return; }
    status.textContent = "";
    function line(text, labels) {
      if (!labels.length) { return; }
      var p = document.createElement("p");
      p.className = "mb-0";
      p.textContent = text + " " + labels.join(", ");
      status.appendChild(p);
    }
    var queue = read(localStorage, QUEUE) || [];
    line(status.dataset.waiting, queue.map(function (item) { return item.label; }));
    line(status.dataset.sent, sentLabels || []);
    line(status.dataset.refused, refusedLabels || []);
    status.hidden = !status.firstChild;
    status.className = status.hidden ? "" : "alert alert-warning";  // only then an alert
  }

  function labelOf(form) {
    var kind = document.querySelector("#measurement-kinds .active");
    var values = ["value", "value2"].map(function (name) {
      var input = form.querySelector("input[name=" + name + "]");
      return input ? input.value.trim() : "";
    }).filter(Boolean);
    return (kind ? kind.textContent.trim() + " " : "") + values.join("/");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "measurement-form" || !offline()) { return; }
    event.preventDefault();
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken") { fields.push([name, String(value)]); }
    });
    var queue = read(localStorage, QUEUE) || [];
    var key = form.querySelector("input[name=client_key]");
    queue = queue.filter(function (item) { return !key || item.key !== key.value; });
    queue.push({ action: form.action, fields: fields, key: key ? key.value : "", label: labelOf(form) });
    write(localStorage, QUEUE, queue);
    showQueue();
  });

  function sendQueue() {
    var queue = read(localStorage, QUEUE) || [];
    if (sending || !queue.length || offline() || !window.fetch) { return; }
    sending = true;
    var item = queue[0];
    var body = new URLSearchParams(item.fields);
    body.append("csrfmiddlewaretoken", csrfToken());
    var done = function (outcome, response) {
      var rest = (read(localStorage, QUEUE) || []).filter(function (other) { return other.key !== item.key; });
      write(localStorage, QUEUE, rest.length ? rest : null);
      sending = false;
      var note = read(sessionStorage, SENT_NOTE) || { sent: [], refused: [] };
      note[outcome].push(item.label);
      if (!rest.length && document.getElementById("measurement-form") && outcome === "sent") {
        write(sessionStorage, SENT_NOTE, note);
        location.assign(response.url);  // the patient's measurements, with this one
        return;
      }
      showQueue(note.sent, note.refused);
      sendQueue();
    };
    fetch(item.action, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) {
        var landed = new URL(response.url).pathname;
        if (response.status >= 500 || landed.indexOf("/accounts/") === 0) {
          sending = false;  // the server is not there, or asks to log in: kept for later
          return;
        }
        done(response.ok && response.redirected ? "sent" : "refused", response);
      })
      .catch(function () { sending = false; });  // still no connection: kept
  }

  window.addEventListener("online", function () { sendQueue(); resendDraft(); });
  function start() {
    restoreDraft();
    var note = read(sessionStorage, SENT_NOTE);
    write(sessionStorage, SENT_NOTE, null);
    showQueue(note ? note.sent : [], note ? note.refused : []);
    sendQueue();
    // After htmx has taken the composer on (it posts it without leaving the page).
    if (document.readyState === "complete") { resendDraft(); } else { window.addEventListener("load", resendDraft); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
