// A build's page, live: log lines, status badge, progress and elapsed time over a websocket.
// The server renders what was stored when the page loaded (data-after = its last seq); this
// connects with ?after=<last seq it has>, drops any seq it already shows, and reconnects with
// back-off after a drop until the build is final. Log text is only ever set as textContent.
// When the build ends, the status card is fetched again from the server (?fragment=summary),
// which renders what it pushed (tag links, pull commands) exactly as on page load.
(() => {
  "use strict";
  const root = document.getElementById("build");
  if (!root) return;

  const FINAL = ["success", "failed", "cancelled", "timed_out", "error"];
  const NOT_FOUND = 4404;
  const MAX_LINES = 20000; // older lines leave the page (the raw log keeps them)
  const $ = (selector) => root.querySelector(selector);
  const log = $("[data-build-log]");
  const liveState = $("[data-live-state]");
  const followButton = $("[data-follow-log]");

  let lastSeq = Number(root.dataset.after) || 0;
  let final = root.dataset.final === "true";
  let startedAt = root.dataset.startedAt ? new Date(root.dataset.startedAt) : null;
  let finishedAt = root.dataset.finishedAt ? new Date(root.dataset.finishedAt) : null;
  let delay = 500;
  let follow = true;

  // --- ANSI colours: the same rules as builds/templatetags/buildlog.py ---
  const COLOURS = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];
  const FLAGS = { 1: "bold", 2: "dim", 3: "italic", 4: "underline" };
  const FLAGS_OFF = { 22: ["bold", "dim"], 23: ["italic"], 24: ["underline"] };
  const ESCAPE_RE = /\x1b\[([0-9;:?]*)([ -/]*[@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[\s\S]?/g;

  function colour(index) {
    if (index >= 0 && index < 8) return COLOURS[index];
    if (index >= 8 && index < 16) return "bright-" + COLOURS[index - 8];
    return null;
  }

  function applySgr(state, params) {
    const codes = params.replace(/:/g, ";").split(";").map((p) => (/^\d+$/.test(p) ? Number(p) : 0));
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      if (code === 0) {
        for (const key of Object.keys(state)) delete state[key];
      } else if (FLAGS[code]) {
        state[FLAGS[code]] = true;
      } else if (FLAGS_OFF[code]) {
        for (const flag of FLAGS_OFF[code]) delete state[flag];
      } else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) {
        state.fg = colour(code < 90 ? code - 30 : code - 90 + 8);
      } else if ((code >= 40 && code <= 47) || (code >= 100 && code <= 107)) {
        state.bg = colour(code < 100 ? code - 40 : code - 100 + 8);
      } else if (code === 39) {
        delete state.fg;
      } else if (code === 49) {
        delete state.bg;
      } else if (code === 38 || code === 48) {
        const mode = codes[i + 1];
        state[code === 38 ? "fg" : "bg"] = mode === 5 && i + 2 < codes.length ? colour(codes[i + 2]) : null;
        i += mode === 5 ? 2 : mode === 2 ? 4 : 0;
      }
    }
  }

  function classes(state) {
    const names = [];
    if (state.fg) names.push("ansi-" + state.fg);
    if (state.bg) names.push("ansi-bg-" + state.bg);
    for (const flag of Object.values(FLAGS)) if (state[flag]) names.push("ansi-" + flag);
    return names.join(" ");
  }

  function renderAnsi(text) {
    const out = document.createDocumentFragment();
    if (text.includes("\r")) text = text.slice(text.lastIndexOf("\r") + 1);
    const state = {};
    const piece = (s) => {
      if (!s) return;
      const names = classes(state);
      if (!names) {
        out.append(document.createTextNode(s));
        return;
      }
      const span = document.createElement("span");
      span.className = names;
      span.textContent = s;
      out.append(span);
    };
    let pos = 0;
    for (const match of text.matchAll(ESCAPE_RE)) {
      piece(text.slice(pos, match.index));
      if (match[2] === "m") applySgr(state, match[1]);
      pos = match.index + match[0].length;
    }
    piece(text.slice(pos));
    return out;
  }

  // --- the log ---
  function atBottom() {
    return log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function setFollow(value) {
    follow = value;
    followButton.hidden = follow;
  }

  log.addEventListener("scroll", () => setFollow(atBottom()));
  followButton.addEventListener("click", () => {
    setFollow(true);
    scrollToEnd();
  });

  function appendLines(lines) {
    const rows = document.createDocumentFragment();
    for (const line of lines) {
      if (line.seq <= lastSeq) continue; // replay and live may overlap: each seq shows once
      lastSeq = line.seq;
      const row = document.createElement("div");
      row.className = "log-line";
      row.dataset.seq = String(line.seq);
      const number = document.createElement("span");
      number.className = "log-n";
      number.setAttribute("aria-hidden", "true");
      number.textContent = String(line.seq);
      const text = document.createElement("span");
      text.className = "log-t";
      text.append(renderAnsi(line.text));
      row.append(number, text);
      rows.append(row);
    }
    if (!rows.childNodes.length) return;
    log.append(rows);
    while (log.childElementCount > MAX_LINES) log.firstElementChild.remove();
    if (follow) scrollToEnd();
  }

  // --- status, progress, elapsed time ---
  function label(status) {
    const words = status.replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function showProgress(step, steps, status) {
    const bar = $("[data-build-progress]");
    const stepLabel = $("[data-build-step]");
    if (steps) {
      bar.max = steps;
      bar.value = status === "success" ? steps : Math.min(step, steps);
      stepLabel.textContent = "Step " + step + " of " + steps;
    } else if (status === "success") {
      bar.max = 1;
      bar.value = 1;
    }
  }

  function showStatus(message) {
    root.dataset.status = message.status;
    const badge = $("[data-build-status]");
    badge.textContent = label(message.status);
    badge.className = "badge build-status status-" + message.status;
    showProgress(message.step, message.steps, message.status);
    if (message.commit) {
      const commit = $("[data-build-commit]");
      commit.textContent = message.commit.slice(0, 7);
      commit.title = message.commit;
    }
    if (message.digest) $("[data-build-digest]").textContent = message.digest;
    const error = $("[data-build-error]");
    error.textContent = message.error || "";
    error.hidden = !message.error;
    startedAt = message.started_at ? new Date(message.started_at) : startedAt;
    finishedAt = message.finished_at ? new Date(message.finished_at) : finishedAt;
    showElapsed();
    if (FINAL.includes(message.status) && !final) {
      final = true;
      root.dataset.final = "true";
      const cancel = root.querySelector("[data-build-cancel]");
      if (cancel) cancel.hidden = true;
      dropFlashes(true);
      refreshSummary();
    }
  }

  async function refreshSummary() {
    const summary = $("[data-build-summary]");
    try {
      const response = await fetch(root.dataset.summaryUrl, { credentials: "same-origin" });
      if (response.ok) summary.innerHTML = await response.text();
    } catch (error) {
      // Offline for a moment: the card already shows the final status; a reload shows the rest.
    }
  }

  // The messages above the page ("Queued build #5.", "Cancelling build #5: …") describe the build
  // before it ended; once it has, they would only mislead. On a page that loads a build already
  // finished, only the one saying it was queued goes (a cancel's answer still explains itself).
  function dropFlashes(all) {
    const box = document.querySelector(".flashes");
    if (!box) return;
    const queued = "Queued build #" + root.dataset.buildId + ".";
    for (const flash of box.querySelectorAll(".flash")) {
      if (all || flash.textContent.trim() === queued) flash.remove();
    }
    if (!box.querySelector(".flash")) box.remove();
  }

  function showElapsed() {
    if (!startedAt) return;
    const end = finishedAt || new Date();
    let seconds = Math.max(0, Math.floor((end - startedAt) / 1000));
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    seconds %= 60;
    const two = (n) => String(n).padStart(2, "0");
    $("[data-build-elapsed]").textContent =
      hours ? hours + "h " + two(minutes) + "m" : minutes ? minutes + "m " + two(seconds) + "s" : seconds + "s";
  }

  // --- the connection ---
  function setLiveState(text) {
    liveState.textContent = text;
  }

  function connect() {
    if (final) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = scheme + "//" + location.host + root.dataset.wsPath + "?after=" + lastSeq;
    const socket = new WebSocket(url);
    socket.addEventListener("open", () => {
      delay = 500;
      setLiveState("Live");
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "lines") {
        appendLines(message.lines);
        showProgress(message.step, message.steps, root.dataset.status);
      } else if (message.type === "status") {
        showStatus(message);
      }
    });
    socket.addEventListener("close", (event) => {
      if (final) {
        setLiveState("Finished");
      } else if (event.code === NOT_FOUND) {
        setLiveState("Not available");
      } else {
        setLiveState("Reconnecting…");
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 10000);
      }
    });
  }

  if (!final) {
    setInterval(() => {
      if (!finishedAt) showElapsed();
    }, 1000);
  }
  if (final) dropFlashes(false);
  setFollow(true);
  scrollToEnd();
  connect();
})();
