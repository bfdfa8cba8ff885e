// A repository's Builds tab, live: a websocket says when one of its builds is queued or changes
// state, and the history table is fetched again from the server (?fragment=history), which
// renders and escapes it exactly as on page load. Reconnects with back-off; after a reconnect the
// table is fetched once, for whatever changed while the socket was down.
(() => {
  "use strict";
  const section = document.querySelector("[data-live-history]");
  if (!section || !("WebSocket" in window)) return;

  const NOT_FOUND = 4404;
  let delay = 1000;
  let timer = null;
  let fetching = false;
  let again = false;

  async function refresh() {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      const response = await fetch(section.dataset.fragment, { credentials: "same-origin" });
      if (response.ok) section.innerHTML = await response.text();
    } catch (error) {
      // Offline for a moment: the next change or reconnect fetches again.
    } finally {
      fetching = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  // Several changes close together (queued, cloning, building) cost one fetch.
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  }

  function connect(first) {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + section.dataset.wsPath);
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "ready") {
        delay = 1000;
        section.dataset.live = "true";
        if (!first) schedule();
      } else if (message.type === "changed") {
        schedule();
      }
    };
    socket.onclose = (event) => {
      section.dataset.live = "false";
      if (event.code === NOT_FOUND) return;
      setTimeout(() => connect(false), delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  connect(true);
})();
