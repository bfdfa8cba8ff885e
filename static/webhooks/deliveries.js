// A webhook's delivery history, kept current while a delivery is pending: the table is fetched
// again from the server (?fragment=history), which renders and escapes it exactly as on page
// load, every two seconds until nothing is pending. Open details stay open.
(() => {
  "use strict";
  const section = document.querySelector("[data-webhook-history]");
  if (!section) return;
  const EVERY_MS = 2000;
  const LIMIT = 150; // five minutes; a reload starts again

  let rounds = 0;

  async function refresh() {
    rounds += 1;
    const open = new Set(
      [...section.querySelectorAll("tbody.delivery details[open]")].map(
        (el) => el.closest("tbody.delivery").dataset.delivery + (el.classList.contains("payload") ? ":payload" : "")
      )
    );
    try {
      const response = await fetch(section.dataset.fragment, { credentials: "same-origin" });
      if (response.ok) {
        section.innerHTML = await response.text();
        for (const body of section.querySelectorAll("tbody.delivery")) {
          const outer = body.querySelector("details");
          if (outer && open.has(body.dataset.delivery)) outer.open = true;
          const payload = body.querySelector("details.payload");
          if (payload && open.has(body.dataset.delivery + ":payload")) payload.open = true;
        }
      }
    } catch (error) {
      // Offline for a moment: the next round fetches again.
    }
    schedule();
  }

  function schedule() {
    if (rounds < LIMIT && section.querySelector("[data-pending]")) setTimeout(refresh, EVERY_MS);
  }

  schedule();
})();
