// The README editor's Write / Preview tabs (templates/hub/partials/readme_editor.html).
// Preview posts the form with "preview" and the X-Wharf-Preview header: the server renders the
// Markdown and sanitises it exactly as the Overview tab does, and saves nothing. Without this
// script the Preview button posts the form the ordinary way and the page shows the preview.
for (const editor of document.querySelectorAll("[data-readme-editor]")) {
  const form = editor.closest("form");
  const tabs = {
    write: editor.querySelector('[data-editor-tab="write"]'),
    preview: editor.querySelector('[data-editor-tab="preview"]'),
  };
  const panels = {
    write: editor.querySelector("#readme-write"),
    preview: editor.querySelector("#readme-preview"),
  };
  let request = 0;

  const show = (which) => {
    for (const name of ["write", "preview"]) {
      tabs[name].setAttribute("aria-selected", String(name === which));
      panels[name].hidden = name !== which;
    }
  };

  const preview = async () => {
    show("preview");
    const mine = ++request;
    panels.preview.setAttribute("aria-busy", "true");
    const data = new FormData(form);
    data.set("preview", "1");
    let html;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: { "X-Wharf-Preview": "1" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      html = await response.text();
    } catch (error) {
      html = null;
      if (mine === request) {
        panels.preview.replaceChildren();
        const p = document.createElement("p");
        p.className = "error";
        p.textContent = `Preview failed: ${error.message}. Your text is unchanged.`;
        panels.preview.append(p);
      }
    }
    if (mine !== request) return; // a newer preview is on its way
    panels.preview.removeAttribute("aria-busy");
    if (html === null) return;
    if (html.trim()) {
      panels.preview.innerHTML = html; // rendered and sanitised by the server (hub/markdown.py)
    } else {
      panels.preview.innerHTML = '<p class="muted">Nothing to preview yet.</p>';
    }
  };

  editor.classList.add("is-tabbed");
  show(tabs.preview.getAttribute("aria-selected") === "true" ? "preview" : "write");
  tabs.write.addEventListener("click", () => {
    request++; // a preview still loading must not open its tab again
    show("write");
    panels.write.querySelector("textarea").focus();
  });
  tabs.preview.addEventListener("click", (event) => {
    event.preventDefault();
    preview();
  });
  // Arrow keys move between the two tabs, as in any tab list.
  editor.querySelector('[role="tablist"]').addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const next = document.activeElement === tabs.write ? tabs.preview : tabs.write;
    next.focus();
    next.click();
  });
}
