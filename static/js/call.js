/* A video call in the browser: peer-to-peer WebRTC in a mesh (one RTCPeerConnection per other
 * participant), signalling over the call's own websocket (regiozorg/call_consumer.py).
 *
 * Negotiation follows the "perfect negotiation" pattern: either side may make an offer (a
 * newcomer to everyone in the call, anyone whose tracks change); when two offers cross, the
 * "polite" side (the lower peer id) rolls back its own. A connection whose ICE fails restarts
 * ICE. A dropped socket is a browser that left: the page drops its peer connections, connects
 * again and joins as a new peer, and the others connect to it afresh.
 *
 * Page contract (templates/meetings/call/_call.html): #call with data-ws (the socket path),
 * data-host ("1": may let guests in), data-file-base (files shared in the call); the Dutch
 * texts in #call-text. window.rzCall exposes the state for the browser tests.
 */
(() => {
  "use strict";
  const root = document.getElementById("call");
  if (!root) return;
  const T = JSON.parse(document.getElementById("call-text").textContent);
  const $ = (id) => document.getElementById(id);
  const state = {
    ws: null,
    you: null,
    host: root.dataset.host === "1",
    peers: new Map(), // peer id -> {pc, polite, makingOffer, ignoreOffer, tile, name, guest}
    names: new Map(),
    local: null,
    camera: null, // the camera's video track (kept while the screen is shared)
    screen: null,
    audioOn: true,
    videoOn: true,
    iceServers: [],
    joined: false,
    leaving: false,
    final: false,
    retry: 0,
  };
  window.rzCall = state;

  // --- small helpers ---------------------------------------------------------------------------
  function show(el, on) { el.classList.toggle("d-none", !on); }
  function status(text) { const el = $("call-status"); el.textContent = text || ""; show(el, !!text); }
  function send(frame) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
  }
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  function csrf() {
    const input = document.querySelector("#call-file-form input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- camera and microphone -------------------------------------------------------------------
  function mediaError(err) {
    const name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") return T.denied;
    if (name === "NotFoundError" || name === "OverconstrainedError") return T.notfound;
    if (name === "NotReadableError" || name === "AbortError") return T.busy;
    return T.nomedia;
  }

  async function startMedia(withCamera) {
    $("call-media-error").classList.add("d-none");
    if (!withCamera) { state.local = new MediaStream(); return true; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      $("call-media-error").textContent = T.insecure;
      show($("call-media-error"), true);
      return false;
    }
    try {
      state.local = await navigator.mediaDevices.getUserMedia({
        audio: true, video: { width: { ideal: 640 }, height: { ideal: 480 } },
      });
    } catch (err) {
      if (err && (err.name === "NotFoundError" || err.name === "OverconstrainedError")) {
        try { // no camera: the microphone alone
          state.local = await navigator.mediaDevices.getUserMedia({ audio: true });
          $("call-media-error").textContent = T.nocamera;
          show($("call-media-error"), true);
        } catch (err2) { state.local = null; }
      }
      if (!state.local) {
        $("call-media-error").textContent = mediaError(err);
        show($("call-media-error"), true);
        return false;
      }
    }
    state.camera = state.local.getVideoTracks()[0] || null;
    state.videoOn = !!state.camera;
    state.audioOn = state.local.getAudioTracks().length > 0;
    return true;
  }

  async function begin(withCamera) {
    if (!(await startMedia(withCamera))) return;
    show($("call-intro"), false);
    show($("call-stage"), true);
    $("call-self-video").srcObject = state.local;
    if (navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia && state.camera) show($("call-screen"), true);
    controls();
    connect();
  }

  // --- the socket ------------------------------------------------------------------------------
  function connect() {
    state.leaving = false;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + root.dataset.ws);
    state.ws = ws;
    status(T.connecting);
    ws.onopen = () => { state.retry = 0; send({ type: "join" }); };
    ws.onmessage = (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch (e) { return; }
      const handler = handlers[msg.type];
      if (handler) Promise.resolve(handler(msg)).catch((e) => console.warn("call:", e));
    };
    ws.onclose = (event) => {
      if (state.ws !== ws) return;
      state.ws = null;
      state.joined = false;
      dropAll();
      if (state.leaving || state.final) return;
      const final = { 4401: T.session, 4403: T.not_allowed, 4409: T.denied_entry, 4410: null, 4429: T.not_allowed };
      if (event.code in final) {
        state.final = true;
        if (final[event.code]) status(final[event.code]);
        show($("call-stage"), false);
        stopMedia();
        return;
      }
      status(T.reconnecting);
      const wait = Math.min(5000, 300 * 2 ** state.retry++);
      setTimeout(() => { if (!state.leaving && !state.final) connect(); }, wait);
    };
  }

  const handlers = {
    waiting() { status(T.waiting); },
    admitted() { status(T.admitted); },
    welcome(msg) {
      state.you = msg.you;
      state.iceServers = msg.ice_servers || [];
      state.joined = true;
      status("");
      enableChat(true);
      for (const p of msg.peers) {
        state.names.set(p.peer, { name: p.name, guest: p.guest });
        peerFor(p.peer, true); // the newcomer offers to everyone already in the call
      }
      people();
      sendState();
    },
    "peer-joined"(msg) {
      state.names.set(msg.peer, { name: msg.name, guest: msg.guest });
      people();
      sendState();
    },
    "peer-left"(msg) { drop(msg.peer); people(); },
    async signal(msg) { await onSignal(msg); },
    state(msg) {
      const info = state.names.get(msg.peer);
      if (info) { info.audio = msg.audio; info.video = msg.video; info.screen = msg.screen; people(); }
    },
    lobby(msg) { lobby(msg.waiting || []); },
    chat(msg) { chatLine(msg.message); },
    error(msg) { if (msg.message && msg.message.length > 12) status(msg.message); },
    ended() { finish(T.ended); },
    revoked() { finish(T.revoked); },
    denied() { finish(T.denied_entry); },
    pong() {},
  };

  function finish(text) {
    state.final = true;
    status(text);
    dropAll();
    stopMedia();
    show($("call-stage"), false);
    show($("call-lobby"), false);
    enableChat(false);
  }

  // --- peer connections --------------------------------------------------------------------------
  function peerFor(id, offer) {
    let p = state.peers.get(id);
    if (p) return p;
    const pc = new RTCPeerConnection({ iceServers: state.iceServers });
    p = { id, pc, polite: state.you < id, makingOffer: false, ignoreOffer: false, tile: tile(id) };
    state.peers.set(id, p);
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) send({ type: "signal", to: id, candidate: candidate.toJSON() });
    };
    pc.ontrack = ({ track, streams }) => {
      const video = p.tile.querySelector("video");
      const stream = streams[0] || video.srcObject || new MediaStream();
      if (!streams[0]) stream.addTrack(track);
      if (video.srcObject !== stream) video.srcObject = stream;
    };
    pc.onnegotiationneeded = async () => {
      try {
        p.makingOffer = true;
        await pc.setLocalDescription();
        send({ type: "signal", to: id, description: pc.localDescription.toJSON() });
      } catch (e) {
        console.warn("call: offer", e);
      } finally {
        p.makingOffer = false;
      }
    };
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === "failed") pc.restartIce();
    };
    pc.onconnectionstatechange = () => {
      p.tile.dataset.state = pc.connectionState;
      const badge = p.tile.querySelector(".call-conn");
      badge.textContent = pc.connectionState === "connected" ? "" : (pc.connectionState === "failed" ? T.peer_failed : T.connecting_peer);
      show(badge, pc.connectionState !== "connected");
    };
    if (offer) addTracks(p);
    return p;
  }

  function addTracks(p) {
    if (p.tracksAdded) return;
    p.tracksAdded = true;
    const tracks = state.local ? state.local.getTracks() : [];
    for (const track of tracks) p.pc.addTrack(state.screen && track.kind === "video" ? state.screen : track, state.local);
    // Without a camera or microphone: still receive the others.
    if (!tracks.some((t) => t.kind === "audio")) p.pc.addTransceiver("audio", { direction: "recvonly" });
    if (!tracks.some((t) => t.kind === "video")) p.pc.addTransceiver("video", { direction: "recvonly" });
  }

  async function onSignal(msg) {
    const p = peerFor(msg.from, false);
    const pc = p.pc;
    if (msg.description) {
      const description = msg.description;
      const collision = description.type === "offer" && (p.makingOffer || pc.signalingState !== "stable");
      p.ignoreOffer = !p.polite && collision;
      if (p.ignoreOffer) return;
      await pc.setRemoteDescription(description);
      if (description.type === "offer") {
        addTracks(p); // answers use the offer's transceivers
        await pc.setLocalDescription();
        send({ type: "signal", to: msg.from, description: pc.localDescription.toJSON() });
      }
    } else if (msg.candidate) {
      try {
        await pc.addIceCandidate(msg.candidate);
      } catch (e) {
        if (!p.ignoreOffer) console.warn("call: candidate", e);
      }
    }
  }

  function drop(id) {
    const p = state.peers.get(id);
    if (p) {
      p.pc.close();
      const video = p.tile.querySelector("video");
      if (video.srcObject) video.srcObject.getTracks().forEach((t) => t.stop());
      video.srcObject = null;
      p.tile.remove();
      state.peers.delete(id);
    }
    state.names.delete(id);
  }

  function dropAll() {
    for (const id of Array.from(state.peers.keys())) drop(id);
    state.names.clear();
    people();
  }

  function stopMedia() {
    if (state.local) state.local.getTracks().forEach((t) => t.stop());
    if (state.screen) state.screen.stop();
    state.screen = null;
  }

  // --- the page ----------------------------------------------------------------------------------
  function tile(id) {
    const col = document.createElement("div");
    col.className = "col";
    col.dataset.peer = id;
    col.innerHTML =
      '<figure class="ratio ratio-4x3 bg-dark rounded overflow-hidden mb-0 position-relative">' +
      '<video autoplay playsinline class="object-fit-cover w-100 h-100"></video>' +
      '<figcaption class="position-absolute bottom-0 start-0 m-1 badge text-bg-dark w-auto h-auto"></figcaption>' +
      '<span class="call-conn position-absolute top-0 end-0 m-1 badge text-bg-warning w-auto h-auto"></span>' +
      "</figure>";
    const info = state.names.get(id);
    col.querySelector("figcaption").textContent = info ? info.name : "";
    col.querySelector(".call-conn").textContent = T.connecting_peer;
    $("call-videos").appendChild(col);
    return col;
  }

  function people() {
    const list = $("call-people");
    list.querySelectorAll("li[data-peer]").forEach((li) => li.remove());
    for (const [id, info] of state.names) {
      const li = document.createElement("li");
      li.className = "list-group-item";
      li.dataset.peer = id;
      const marks = [];
      if (info.guest) marks.push(T.guest);
      if (info.audio === false) marks.push(T.muted);
      if (info.video === false) marks.push(T.camera_off);
      if (info.screen) marks.push(T.screen);
      li.textContent = info.name + (marks.length ? ` (${marks.join(", ")})` : "");
      list.appendChild(li);
      const p = state.peers.get(id);
      if (p) p.tile.querySelector("figcaption").textContent = info.name;
    }
    show($("call-people-empty"), state.names.size === 0);
  }

  function lobby(waiting) {
    const list = $("call-lobby-list");
    list.replaceChildren();
    for (const w of waiting) {
      const li = document.createElement("li");
      li.className = "d-flex flex-wrap align-items-center gap-2 mb-1";
      li.dataset.peer = w.peer;
      const name = document.createElement("span");
      name.textContent = `${w.name} — ${T.wants_in}`;
      const admit = document.createElement("button");
      admit.type = "button";
      admit.className = "btn btn-sm btn-primary";
      admit.textContent = T.admit;
      admit.addEventListener("click", () => send({ type: "admit", peer: w.peer }));
      const deny = document.createElement("button");
      deny.type = "button";
      deny.className = "btn btn-sm btn-outline-danger";
      deny.textContent = T.deny;
      deny.addEventListener("click", () => send({ type: "deny", peer: w.peer }));
      li.append(name, admit, deny);
      list.appendChild(li);
    }
    show($("call-lobby"), waiting.length > 0);
  }

  function chatLine(m) {
    const empty = $("call-chat-empty");
    if (empty) empty.remove();
    const chat = $("call-chat");
    if (chat.querySelector(`li[data-id="${m.id}"]`)) return;
    const li = document.createElement("li");
    li.dataset.id = m.id;
    const at = document.createElement("span");
    at.className = "text-body-secondary";
    at.textContent = m.at + " ";
    const who = document.createElement("strong");
    who.textContent = m.name;
    li.append(at, who, document.createTextNode(": "));
    if (m.file) {
      const a = document.createElement("a");
      a.href = `${root.dataset.fileBase}${m.file.id}/`;
      a.target = "_blank";
      a.rel = "noopener";
      a.textContent = m.file.name;
      li.append(a);
    } else {
      li.append(document.createTextNode(m.body));
    }
    chat.appendChild(li);
    chat.scrollTop = chat.scrollHeight;
  }

  function enableChat(on) {
    for (const id of ["call-chat-body", "call-chat-send", "call-file", "call-file-send"]) $(id).disabled = !on;
  }

  function sendState() {
    send({ type: "state", audio: state.audioOn, video: state.videoOn, screen: !!state.screen });
  }

  function label(button, text, pressed) {
    button.querySelector("span").textContent = text;
    button.setAttribute("aria-pressed", pressed ? "true" : "false");
  }

  function controls() {
    const mute = $("call-mute");
    const camera = $("call-camera");
    mute.disabled = !state.local || state.local.getAudioTracks().length === 0;
    camera.disabled = !state.camera;
    label(mute, state.audioOn ? T.mute : T.unmute, !state.audioOn);
    label(camera, state.videoOn ? T.camera_off_button : T.camera_on, !state.videoOn);
    label($("call-screen"), state.screen ? T.stop_share : T.share, !!state.screen);
  }

  async function replaceVideo(track) {
    for (const p of state.peers.values()) {
      const transceiver = p.pc.getTransceivers().find((t) => t.receiver.track.kind === "video");
      if (transceiver) await transceiver.sender.replaceTrack(track);
    }
    $("call-self-video").srcObject = new MediaStream([track, ...state.local.getAudioTracks()]);
  }

  $("call-start").addEventListener("click", () => begin(true));
  $("call-start-without").addEventListener("click", () => begin(false));
  $("call-mute").addEventListener("click", () => {
    state.audioOn = !state.audioOn;
    state.local.getAudioTracks().forEach((t) => { t.enabled = state.audioOn; });
    controls();
    sendState();
  });
  $("call-camera").addEventListener("click", () => {
    state.videoOn = !state.videoOn;
    if (state.camera) state.camera.enabled = state.videoOn;
    controls();
    sendState();
  });
  $("call-screen").addEventListener("click", async () => {
    if (state.screen) {
      state.screen.stop();
      state.screen = null;
      await replaceVideo(state.camera);
    } else {
      try {
        const display = await navigator.mediaDevices.getDisplayMedia({ video: true });
        state.screen = display.getVideoTracks()[0];
        state.screen.addEventListener("ended", async () => {
          if (!state.screen) return;
          state.screen = null;
          await replaceVideo(state.camera);
          controls();
          sendState();
        });
        await replaceVideo(state.screen);
      } catch (e) {
        return; // the person chose not to share
      }
    }
    controls();
    sendState();
  });
  $("call-leave").addEventListener("click", () => {
    state.leaving = true;
    send({ type: "leave" });
    if (state.ws) state.ws.close(1000);
    dropAll();
    stopMedia();
    show($("call-stage"), false);
    show($("call-lobby"), false);
    show($("call-left"), true);
    enableChat(false);
    status("");
  });
  $("call-rejoin").addEventListener("click", async () => {
    show($("call-left"), false);
    show($("call-intro"), true);
  });
  $("call-chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("call-chat-body");
    const body = input.value.trim();
    if (!body) return;
    send({ type: "chat", body, client_key: uuid() });
    input.value = "";
  });
  $("call-file-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const error = $("call-file-error");
    error.textContent = "";
    if (!$("call-file").files.length) return;
    const data = new FormData(form);
    data.set("client_key", uuid());
    try {
      const response = await fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrf() },
      });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        error.textContent = body.error || T.file_error;
        return;
      }
      form.reset();
    } catch (e) {
      error.textContent = T.file_error;
    }
  });
  window.addEventListener("pagehide", () => { state.leaving = true; if (state.ws) state.ws.close(1000); });
})();
