"""Repository READMEs: Markdown rendered, then sanitised with nh3 before it reaches a page.

Markdown passes raw HTML through, so the sanitiser, not the renderer, is the security boundary:
whatever the author wrote, only the tags, attributes and URL schemes allowed here survive.
"""

from functools import lru_cache

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

EXTENSIONS = ["fenced_code", "tables", "sane_lists"]

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s",
    "samp", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
}
# No javascript:, data: or vbscript: URLs; relative links stay (they point into this hub).
URL_SCHEMES = {"http", "https", "mailto"}
# Links in text anyone can write must not lend this hub's reputation (nofollow) or a handle on
# the opening tab (noopener).
LINK_REL = "nofollow noopener noreferrer"

_cleaner = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel=LINK_REL,
    strip_comments=True,
)


def sanitise(html: str) -> str:
    return _cleaner.clean(html)


@lru_cache(maxsize=256)
def render(text: str) -> SafeString:
    """HTML for a repository's full description, safe to put on a page as it is.

    Cached by text: a popular repository's README is rendered once, not on every view.
    """
    html = markdown_lib.markdown(text or "", extensions=EXTENSIONS, output_format="html")
    return mark_safe(sanitise(html))  # noqa: S308 — sanitised by nh3 just above
