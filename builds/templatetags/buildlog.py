"""Template helpers for build pages: ANSI-coloured log lines rendered safely, durations, shas.

static/js/buildlog.js renders live lines with the same rules, so a line looks the same whether
the server or the browser drew it.
"""

import re
from datetime import timedelta

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

COLOURS = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
# CSI sequences (colours, cursor moves, erase), OSC sequences (titles, links), any other escape.
ESCAPE_RE = re.compile(r"\x1b\[([0-9;:?]*)([ -/]*[@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
FLAGS = {1: "bold", 2: "dim", 3: "italic", 4: "underline"}
FLAGS_OFF = {22: ("bold", "dim"), 23: ("italic",), 24: ("underline",)}


def _colour(index: int) -> str | None:
    if 0 <= index < 8:
        return COLOURS[index]
    if 8 <= index < 16:
        return f"bright-{COLOURS[index - 8]}"
    return None  # 256-colour and true-colour shades have no class; the text keeps its default


def _apply_sgr(state: dict, params: str) -> None:
    codes = [int(p) if p.isdigit() else 0 for p in params.replace(":", ";").split(";")]
    i = 0
    while i < len(codes):
        code = codes[i]
        if code == 0:
            state.clear()
        elif code in FLAGS:
            state[FLAGS[code]] = True
        elif code in FLAGS_OFF:
            for flag in FLAGS_OFF[code]:
                state.pop(flag, None)
        elif 30 <= code <= 37 or 90 <= code <= 97:
            state["fg"] = _colour(code - 30 if code < 90 else code - 90 + 8)
        elif 40 <= code <= 47 or 100 <= code <= 107:
            state["bg"] = _colour(code - 40 if code < 100 else code - 100 + 8)
        elif code in (39, 49):
            state.pop("fg" if code == 39 else "bg", None)
        elif code in (38, 48):
            mode = codes[i + 1] if i + 1 < len(codes) else None
            colour = _colour(codes[i + 2]) if mode == 5 and i + 2 < len(codes) else None
            state["fg" if code == 38 else "bg"] = colour
            i += 2 if mode == 5 else 4 if mode == 2 else 0
        i += 1


def _classes(state: dict) -> str:
    names = [f"ansi-{state['fg']}"] if state.get("fg") else []
    names += [f"ansi-bg-{state['bg']}"] if state.get("bg") else []
    names += [f"ansi-{flag}" for flag in FLAGS.values() if state.get(flag)]
    return " ".join(names)


def ansi_html(text: str) -> SafeString:
    """A log line as HTML: every piece of text escaped first, SGR colours as classed spans.

    Other escape sequences (cursor moves, titles) are dropped; after a carriage return only
    what a terminal would finally show is kept.
    """
    if "\r" in text:
        text = text.rsplit("\r", 1)[-1]
    out: list[str] = []
    state: dict = {}
    pos = 0
    for match in ESCAPE_RE.finditer(text):
        out.append(_span(text[pos : match.start()], state))
        if match.group(2) == "m":
            _apply_sgr(state, match.group(1))
        pos = match.end()
    out.append(_span(text[pos:], state))
    # Safe: the text went through escape(); the markup around it comes from fixed class names.
    return mark_safe("".join(out))


def _span(piece: str, state: dict) -> str:
    if not piece:
        return ""
    classes = _classes(state)
    return f'<span class="{classes}">{escape(piece)}</span>' if classes else str(escape(piece))


@register.filter
def ansi(text: str) -> SafeString:
    return ansi_html(text or "")


@register.filter
def duration(value: timedelta | None) -> str:
    """12s, 3m 05s, 1h 02m: a build's run time at a glance."""
    if value is None:
        return ""
    seconds = max(0, int(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"


@register.filter
def short_sha(sha: str) -> str:
    return (sha or "")[:7]
