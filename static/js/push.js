// Web Push on the profile page: switch notifications on or off for this browser.
// The service worker (sw.js, registered by pwa.js) shows them; this file only subscribes.
(function () {
  "use strict";

  const box = document.querySelector("[data-push]");
  if (!box) return;
  const status = box.querySelector("[data-push-status]");
  const onButton = box.querySelector("[data-push-on]");
  const offButton = box.querySelector("[data-push-off]");
  const text = (name) => box.dataset["text" + name.charAt(0).toUpperCase() + name.slice(1)];

  function say(name, message) {
    status.textContent = message || text(name);
  }

  function show(subscribed) {
    onButton.hidden = subscribed;
    offButton.hidden = !subscribed;
  }

  function keyBytes(base64url) {
    const padded = base64url.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (base64url.length % 4)) % 4);
    const raw = atob(padded);
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  }

  function csrf() {
    const input = box.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function registration() {
    // pwa.js registers the service worker; do not wait for ever if it never does.
    return Promise.race([
      navigator.serviceWorker.ready,
      new Promise((resolve, reject) => setTimeout(() => reject(new Error("no service worker")), 10000)),
    ]);
  }

  async function post(url, subscription) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(subscription),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(answer.error || ""), { fromServer: true });
    return answer;
  }

  async function switchOn() {
    onButton.disabled = true;
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        say("denied");
        return;
      }
      const reg = await registration();
      const subscription = await reg.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(box.dataset.pushKey),
      });
      try {
        await post(box.dataset.pushSubscribeUrl, subscription.toJSON());
      } catch (error) {
        await subscription.unsubscribe();
        throw error;
      }
      show(true);
      say("on");
    } catch (error) {
      say("error", error && error.fromServer ? error.message : "");
    } finally {
      onButton.disabled = false;
    }
  }

  async function switchOff() {
    offButton.disabled = true;
    try {
      const reg = await registration();
      const subscription = await reg.pushManager.getSubscription();
      if (subscription) {
        const data = subscription.toJSON();
        await subscription.unsubscribe();
        await post(box.dataset.pushUnsubscribeUrl, { endpoint: data.endpoint });
      }
      show(false);
      say("off");
    } catch (error) {
      say("error");
    } finally {
      offButton.disabled = false;
    }
  }

  async function start() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      say("unsupported");
      return;
    }
    onButton.addEventListener("click", switchOn);
    offButton.addEventListener("click", switchOff);
    if (Notification.permission === "denied") {
      say("denied");
      show(false);
      return;
    }
    try {
      const reg = await registration();
      const subscription = await reg.pushManager.getSubscription();
      show(Boolean(subscription));
      say(subscription ? "on" : "off");
    } catch (error) {
      show(false);
      say("off");
    }
  }

  start();
})();
