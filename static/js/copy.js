// Copy buttons. Include with <script src="{% static 'js/copy.js' %}" defer></script>, then:
//   <button class="copy" type="button" data-copy="docker pull host/ns/name:tag">Copy</button>
// copies the attribute's text itself. A value starting with "#" that names an element on the
// page (data-copy="#pull-command") copies that element's text instead, as older pages do.
// One listener on the document, so buttons added later work too.

function copySource(button) {
  const value = button.dataset.copy;
  if (!value.startsWith("#")) return null;
  try {
    return document.querySelector(value);
  } catch {
    return null; // not a selector: the value is the text
  }
}

// Without the Clipboard API (plain HTTP on a host other than localhost) a selected textarea and
// execCommand still copy within the click's user gesture.
function legacyCopy(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let done = false;
  try {
    done = document.execCommand("copy");
  } catch {
    done = false;
  }
  area.remove();
  return done;
}

function selectContents(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

function say(button, label) {
  if (!button.dataset.copyLabel) button.dataset.copyLabel = button.textContent;
  button.textContent = label;
  clearTimeout(Number(button.dataset.copyTimer || 0));
  const timer = setTimeout(() => {
    button.textContent = button.dataset.copyLabel;
  }, 2000);
  button.dataset.copyTimer = String(timer);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = copySource(button);
  const text = source ? source.textContent.trim() : button.dataset.copy;
  try {
    await navigator.clipboard.writeText(text);
    say(button, "Copied");
  } catch {
    if (source) {
      // Clipboard refused: select the text on the page so Ctrl-C works.
      selectContents(source);
      say(button, "Press Ctrl-C");
    } else {
      say(button, legacyCopy(text) ? "Copied" : "Copy failed");
    }
  }
});
