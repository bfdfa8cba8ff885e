// Light or dark: the browser's preference (prefers-color-scheme, in static/css/theme.css) unless
// this browser chose one with the user menu's Theme buttons, remembered in localStorage.
// base.html loads this file in <head>, not deferred, so a chosen theme is on <html> before the
// page is first drawn: no flash of the other theme.
(function () {
  const KEY = "wharf-theme";
  const CHOICES = ["auto", "light", "dark"];
  const root = document.documentElement;

  function stored() {
    try {
      const value = localStorage.getItem(KEY);
      return CHOICES.includes(value) ? value : "auto";
    } catch {
      return "auto"; // storage refused (privacy settings): follow the browser
    }
  }

  function apply(choice) {
    if (choice === "light" || choice === "dark") root.dataset.theme = choice;
    else delete root.dataset.theme;
    for (const button of document.querySelectorAll("[data-theme-choice]")) {
      button.setAttribute("aria-checked", String(button.dataset.themeChoice === choice));
    }
  }

  function remember(choice) {
    try {
      if (choice === "auto") localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      // Not remembered, but this page still changes.
    }
  }

  apply(stored());
  document.addEventListener("DOMContentLoaded", () => apply(stored()));
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-theme-choice]");
    if (!button || !CHOICES.includes(button.dataset.themeChoice)) return;
    remember(button.dataset.themeChoice);
    apply(button.dataset.themeChoice);
  });
  // Another tab of this site chose: follow it here too.
  window.addEventListener("storage", (event) => {
    if (event.key === KEY || event.key === null) apply(stored());
  });
})();
