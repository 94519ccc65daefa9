// The conversation thread's layout for messages that arrive after the page (pushed, caught up,
// or the composer's htmx answer): the fragment is the same for every reader, so whose it is
// (data-author against the list's data-me) and where a new day starts (data-day) are worked
// out here. The server-rendered page already has both; this only keeps added messages in step.
(function () {
  "use strict";
  var thread = document.querySelector("[data-live-conversation]");
  if (!thread) { return; }
  var me = thread.dataset.me;

  function isMessage(el) { return el && el.dataset && el.dataset.messageId; }
  function isDay(el) { return el && el.classList && el.classList.contains("message-day"); }

  function layout() {
    var previousDay = null;
    Array.prototype.slice.call(thread.children).forEach(function (el) {
      if (isDay(el)) {
        // A separator stays only before a message that starts a new day.
        var next = el.nextElementSibling;
        if (!isMessage(next) || next.dataset.day === previousDay) { el.remove(); }
        return;
      }
      if (!isMessage(el)) { return; }
      if (me && el.dataset.author === me) { el.classList.add("message-mine"); }
      if (el.dataset.day !== previousDay && !isDay(el.previousElementSibling)) {
        var day = document.createElement("h2");
        day.className = "message-day";
        day.textContent = el.dataset.dayLabel || el.dataset.day;
        thread.insertBefore(day, el);
      }
      previousDay = el.dataset.day;
    });
  }

  // The latest message sits just above the composer, which stays at the bottom of the screen.
  function latest() {
    var messages = thread.querySelectorAll("[data-message-id]");
    return messages[messages.length - 1];
  }
  function gapBelowLatest() {
    var last = latest();
    var composer = document.getElementById("composer");
    if (!last) { return 0; }
    var bottom = window.innerHeight - (composer ? composer.offsetHeight : 0) - 8;
    return last.getBoundingClientRect().bottom - bottom;
  }
  function scrollToLatest() {
    var gap = gapBelowLatest();
    // At once: Bootstrap makes scrolling smooth, and a chat opens where it left off.
    if (gap > 0) { window.scrollBy({ top: gap, behavior: "instant" }); }
  }
  var atLatest = false;
  window.addEventListener("scroll", function () { atLatest = gapBelowLatest() <= 40; }, { passive: true });
  // A photo that loads grows its message: a reader at the latest message stays there.
  thread.addEventListener("load", function () { if (atLatest) { scrollToLatest(); } }, true);

  // Changes made here trigger the observer once more; the second pass finds nothing to do. A
  // reader who was at the latest message stays there when a new one arrives.
  new MutationObserver(function () {
    var follow = atLatest;
    layout();
    if (follow) { scrollToLatest(); }
  }).observe(thread, { childList: true });

  // A chat opens at its latest message; not when the address asks for a place (#message-…),
  // older messages (?voor=) or a search on the page (?patient_q=). Another page of the inbox
  // list beside it (?page=) is no reason not to.
  if (!location.hash && !/[?&](voor|patient_q)=/.test(location.search)) { scrollToLatest(); }
  atLatest = gapBelowLatest() <= 40;
})();

// Live updates over one websocket per page: new messages, inbox counts, presence.
// Progressive enhancement: every page works without it (forms post, pages reload).
(function () {
  "use strict";
  var body = document.body;
  if (!body || !body.dataset.live || !window.WebSocket) { return; }

  var list = document.querySelector("[data-live-conversation]");
  var conversation = list ? parseInt(list.dataset.liveConversation, 10) : null;
  var lastId = list ? parseInt(list.dataset.lastMessage || "0", 10) : 0;
  var socket = null;
  var delay = 1000;
  var pingTimer = null;
  var steadyTimer = null;

  // A socket whose session is over (4401), or a conversation on screen that is no longer
  // ours after the rights changed: the page reloads (the server shows the login page, or the
  // page as the rights now allow) — at most once a minute, so a refused page does not loop.
  function reloadOnce() {
    var key = "regiozorg-live-reload";
    var last = 0;
    try { last = parseInt(sessionStorage.getItem(key) || "0", 10); } catch (e) { /* private mode */ }
    if (Date.now() - last < 60000) { return; }
    try { sessionStorage.setItem(key, String(Date.now())); } catch (e) { /* private mode */ }
    location.reload();
  }

  function url() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + location.host + body.dataset.live;
  }

  var me = list ? list.dataset.me : null;
  var readSent = 0;  // the highest id this socket marked read (or our own send did)
  var readAt = 0;
  var readTimer = null;
  var READ_EVERY = 1000;

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  // Read as the messages arrive on a visible page: at once, then at most once a second with
  // the latest id (the server merges marks the same way), so a busy conversation does not
  // cost a frame per message.
  function markRead() {
    if (!conversation || !lastId || document.hidden || lastId <= readSent) { return; }
    var wait = readAt + READ_EVERY - Date.now();
    if (wait > 0) {
      if (!readTimer) { readTimer = setTimeout(function () { readTimer = null; markRead(); }, wait); }
      return;
    }
    if (send({ type: "read", conversation: conversation, message: lastId })) {
      readAt = Date.now();
      readSent = lastId;
    }
  }

  // One copy per message id, whoever delivered it first (push, catch-up or the form's reply).
  function dropDuplicates() {
    if (!list) { return; }
    var seen = {};
    list.querySelectorAll("[data-message-id]").forEach(function (el) {
      var id = el.dataset.messageId;
      if (seen[id]) { el.remove(); } else { seen[id] = true; }
      lastId = Math.max(lastId, parseInt(id, 10));
    });
  }

  function append(item) {
    if (!list || item.id <= 0 || document.getElementById("message-" + item.id)) {
      lastId = Math.max(lastId, item.id);
      return;
    }
    var holder = document.createElement("div");
    holder.innerHTML = item.html;
    var el = holder.firstElementChild;
    if (el) {
      el.classList.add("message-new");
      list.appendChild(el);
      if (window.htmx) { window.htmx.process(el); }
    }
    lastId = Math.max(lastId, item.id);
  }

  function connect() {
    var opened = false;
    socket = new WebSocket(url());
    socket.onopen = function () {
      opened = true;
      // The back-off starts again only for a socket that stayed open: one that the server
      // closes right after opening must not bring the page back every second.
      clearTimeout(steadyTimer);
      steadyTimer = setTimeout(function () { delay = 1000; }, 30000);
      if (conversation) { send({ type: "subscribe", conversation: conversation, after: lastId }); }
      send({ type: "ping", away: document.hidden });
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ type: "ping", away: document.hidden }); }, 30000);
    };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "messages") { data.items.forEach(append); markRead(); }
      else if (data.type === "message" && data.conversation === conversation) {
        if (data.previous && data.previous > lastId) {
          // A push went missing (Redis hiccup): fetch everything after what is on screen.
          send({ type: "subscribe", conversation: conversation, after: lastId });
        } else {
          append(data);
          // Our own message is read already (the send marked it); others' are read as they
          // arrive on a visible page. The counts beside it follow the message frame: the
          // server sends no separate "inbox" frame for a conversation this page follows.
          if (me && String(data.author) === me) { readSent = Math.max(readSent, data.id); }
          markRead();
          body.dispatchEvent(new CustomEvent(document.hidden ? "live-inbox" : "live-inbox-open"));
        }
      }
      else if (data.type === "inbox") {
        // The conversation on screen is read as it arrives: no need to refetch the counts
        // for it (twice: once for the message, once for the read mark). Only the list beside
        // it (wide screens) shows its latest message: that list waits for a quiet moment.
        if (!(data.conversation === conversation && !document.hidden)) {
          body.dispatchEvent(new CustomEvent("live-inbox"));
        } else {
          body.dispatchEvent(new CustomEvent("live-inbox-open"));
        }
      }
      else if (data.type === "referrals") { body.dispatchEvent(new CustomEvent("live-referrals")); }
      else if (data.type === "his") { body.dispatchEvent(new CustomEvent("live-his")); }
      else if (data.type === "actions") { body.dispatchEvent(new CustomEvent("live-actions")); }
      else if (data.type === "alerts") { body.dispatchEvent(new CustomEvent("live-alerts")); }
      else if (data.type === "revoked" && data.conversation === conversation) { location.reload(); }
      else if (data.type === "sent") { sendAcked(data); }
      else if (data.type === "error" && data.client_key) { sendRefused(data); }
      else if (data.type === "error" && data.conversation && data.conversation === conversation) {
        reloadOnce();  // no longer ours (rights changed): the page shows what is allowed now
      }
    };
    socket.onclose = function (event) {
      sendByForm();  // a send without its answer goes by the form, with the same key
      clearInterval(pingTimer);
      clearTimeout(steadyTimer);
      if (event.code === 4401) {
        // Logged out, ended or timed out (a socket refused at connect has nothing to show).
        if (opened) { reloadOnce(); }
        return;
      }
      if (event.code === 4400) { return; }
      // 4403 (the rights changed) and anything else: a new socket, with the rights as they are.
      // Back off and reconnect; the subscribe frame asks for everything after lastId.
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  // The composer sends text over the socket when it is open: the server stores it with the
  // same service as the form POST, acks it ("sent") and pushes it to everyone subscribed, this
  // page included. With attachments, without an open socket, or without an answer within
  // SEND_TIMEOUT, the form posts as before (htmx) with the same client key: the server stores
  // one message per key, so a send that did arrive is not stored twice.
  var SEND_TIMEOUT = 4000;
  var pending = null;  // {form, key, timer} of the send waiting for its answer

  function composerKey(form) { return form.querySelector("input[name=client_key]"); }

  function showComposerError(form, text) {
    form.querySelectorAll(".alert-danger").forEach(function (el) { el.remove(); });
    if (!text) { return; }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger py-2";
    alert.setAttribute("role", "alert");
    alert.textContent = text;  // the server's (Dutch) message, as text
    form.insertBefore(alert, composerKey(form));
  }

  function sendByForm() {
    if (!pending) { return; }
    var form = pending.form;
    clearTimeout(pending.timer);
    pending = null;
    if (!document.body.contains(form)) { return; }
    form.dataset.viaForm = "1";
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function sendAcked(data) {
    if (!pending || pending.key !== String(data.client_key).toLowerCase()) { return; }
    var form = pending.form;
    clearTimeout(pending.timer);
    pending = null;
    // As after the htmx POST: an empty composer with a fresh key for the next message.
    showComposerError(form, "");
    composerKey(form).value = data.next_client_key;
    var textarea = form.querySelector("textarea");
    textarea.value = "";
    textarea.focus();
    form.dispatchEvent(new CustomEvent("composer-sent", { bubbles: true }));  // offline-queue.js
  }

  function sendRefused(data) {
    if (!pending || pending.key !== String(data.client_key).toLowerCase()) { return; }
    var form = pending.form;
    clearTimeout(pending.timer);
    pending = null;
    showComposerError(form, data.error);  // the text stays, to correct or copy
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "composer" || !conversation) { return; }
    if (form.dataset.viaForm) { delete form.dataset.viaForm; return; }  // the fallback
    var files = form.querySelector("input[type=file]");
    var key = composerKey(form);
    var textarea = form.querySelector("textarea");
    if ((files && files.files.length) || !key || !textarea) { return; }
    if (!socket || socket.readyState !== WebSocket.OPEN) { return; }
    // Ours: neither the browser nor htmx posts it (capture phase, before htmx's listener).
    event.preventDefault();
    event.stopPropagation();
    if (pending) { return; }  // a double click: the first send is on its way
    pending = { form: form, key: key.value.toLowerCase(), timer: setTimeout(sendByForm, SEND_TIMEOUT) };
    send({ type: "send", conversation: conversation, body: textarea.value, client_key: key.value });
  }, true);

  if (list) { new MutationObserver(dropDuplicates).observe(list, { childList: true }); }
  document.addEventListener("visibilitychange", function () {
    send({ type: "ping", away: document.hidden });
    markRead();
  });
  // After a send through htmx the composer comes back with a fresh client key.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "composer") {
      var textarea = event.target.querySelector("textarea");
      if (textarea && !event.target.querySelector(".alert-danger")) { textarea.focus(); }
    }
  });
  connect();
})();
