/* Taps that change state never get lost.
 *
 * A form marked data-tap is not submitted by the browser. Its fields (with the idempotency key the server
 * put in it) are first written to localStorage, then sent with fetch. A reply of any kind below 500 is the
 * answer: the tap leaves the queue and the page shows the reply. No reply (no signal in the cage) or a
 * server error keeps the tap queued, shown as "waiting to send", and it is sent again when the connection
 * comes back, every few seconds, and when the page is opened again. The server acts once per key, so
 * sending twice is safe.
 */
(function () {
  "use strict";
  var QUEUE = "lockstep.taps.v1";

  function load() {
    try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; }
  }
  function save(queue) {
    try { localStorage.setItem(QUEUE, JSON.stringify(queue)); } catch (e) { /* storage full: still sent now */ }
  }
  function status(text, kind) {
    var box = document.getElementById("tap-status");
    if (!box) return;
    box.hidden = !text;
    box.textContent = text || "";
    box.className = "tap-status" + (kind ? " tap-" + kind : "");
  }
  function showQueue(queue) {
    if (queue.length) {
      status("Waiting to send " + queue.length + " tap" + (queue.length > 1 ? "s" : "") +
        ": no connection. They will be sent when it is back. Keep this page open.", "waiting");
    } else {
      status("", "");
    }
  }

  function show(html, tap) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("step-panel");
    var current = document.getElementById("step-panel");
    if (fresh && current) {
      current.replaceWith(fresh);
      if (window.htmx) window.htmx.process(fresh);
      wire(fresh);
      document.dispatchEvent(new CustomEvent("lockstep:swapped"));
      if (tap.returnTo && tap.returnTo !== location.pathname) history.replaceState(null, "", tap.returnTo);
      bringVerdict(fresh);
      follow();
    } else {
      document.open();
      document.write(html);
      document.close();
      if (tap.returnTo) history.replaceState(null, "", tap.returnTo);
    }
  }

  // The answer to a tap comes to the tech: to the top of the screen, focused (so a screen reader says it),
  // and a STOP also buzzes where the phone can.
  function bringVerdict(panel) {
    var area = panel.querySelector("#verdict");
    var verdict = area && area.querySelector("[data-verdict]");
    if (!verdict) return;
    area.scrollIntoView({ block: "start", behavior: "instant" });
    area.focus({ preventScroll: true });
    if (verdict.dataset.verdict === "stop" && navigator.vibrate) {
      try { navigator.vibrate([400, 150, 400, 150, 400]); } catch (e) { /* not every phone lets a page buzz */ }
    }
  }

  function currentToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; }
    catch (e) { return ""; }
  }

  // Taps are sent only by the person who made them: on a shared phone, another login never sends them.
  function me() { return document.body ? document.body.dataset.user || "" : ""; }
  function mine(queue) { return queue.filter(function (t) { return t.user === me(); }); }

  var flushing = false;
  function flush() {
    if (flushing || !me()) return;
    var queue = mine(load());
    if (!queue.length) return;
    flushing = true;
    var tap = queue[0];
    var body = new URLSearchParams();
    var token = currentToken();
    tap.fields.forEach(function (pair) {
      // The form's CSRF token may be older than the session (a login since): send the page's current one.
      body.append(pair[0], pair[0] === "csrfmiddlewaretoken" && token ? token : pair[1]);
    });
    // A tap that waited for a connection says when it was made, so the record shows both times.
    if (tap.at && Date.now() - tap.at > 5000) body.append("queued_at", new Date(tap.at).toISOString());
    fetch(tap.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      // With a step panel on the page, the answer need only be the panel; otherwise ask for the whole page.
      headers: document.getElementById("step-panel")
        ? { "Idempotency-Key": tap.key, "X-Requested-With": "fetch" }
        : { "Idempotency-Key": tap.key },
    }).then(function (response) {
      if (response.status >= 500) throw new Error("server error " + response.status);
      if (!response.headers.get("Idempotent-Answer")) {
        // Not the server's answer to this tap: a login page after the session expired, a CSRF refusal, a
        // proxy's page. The tap stays queued; say what to do.
        flushing = false;
        status("Waiting to send: log in again (in another tab) and your tap will be sent. Nothing is lost.", "waiting");
        return;
      }
      return response.text().then(function (html) {
        save(load().filter(function (t) { return t.key !== tap.key; }));
        flushing = false;
        showQueue(mine(load()));
        if (tap.page === location.pathname || tap.returnTo === location.pathname) show(html, tap);
        flush();
      });
    }).catch(function () {
      flushing = false;
      showQueue(mine(load()));
    });
  }

  function wire(root) {
    root.querySelectorAll("form[data-tap]").forEach(function (form) {
      if (form.dataset.tapWired) return;
      form.dataset.tapWired = "1";
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var fields = [];
        new FormData(form).forEach(function (value, name) { fields.push([name, String(value)]); });
        var key = (fields.find(function (p) { return p[0] === "idem"; }) || [])[1];
        if (!key) { form.submit(); return; }
        var queue = load();
        if (!queue.some(function (t) { return t.key === key; })) {
          queue.push({
            key: key, user: me(), action: form.action, fields: fields, page: location.pathname,
            returnTo: form.dataset.return || "", at: Date.now(),
          });
          save(queue);
        }
        form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        status("Sending…", "sending");
        flush();
      });
      if (form.hasAttribute("data-autosubmit")) form.requestSubmit();
    });
  }

  window.addEventListener("online", flush);
  setInterval(flush, 4000);
  // The panel's refresh swaps in only a changed state: the same state again would replace a tap's verdict,
  // a half-typed code or a running camera with nothing new.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var current = document.getElementById("step-panel");
    if (!current || event.detail.target !== current || !event.detail.xhr) return;
    var doc = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
    var fresh = doc.getElementById("step-panel");
    if (fresh && fresh.dataset.state === current.dataset.state) event.detail.shouldSwap = false;
  });
  // The work moved on elsewhere (an abort: the work is now the rollback): the page goes there by itself,
  // unless a tap of this person is still waiting to be sent from here.
  function follow() {
    var panel = document.getElementById("step-panel");
    var to = panel && panel.dataset.follow;
    if (to && !mine(load()).length) location.assign(to);
  }
  // The panel's own refresh may bring a form to tap: wire it too.
  document.addEventListener("htmx:afterSettle", function () { wire(document); follow(); });
  function start() {
    wire(document); showQueue(mine(load())); flush();
    // A whole page as the answer (a plain form post, or a tap on a page without a step panel): its verdict,
    // wherever it is, comes to the top too.
    bringVerdict(document.getElementById("step-panel") || document.body);
    follow();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
