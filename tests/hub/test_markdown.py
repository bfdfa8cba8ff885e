"""READMEs are Markdown, rendered then sanitised: whatever an author writes, no script runs."""

import pytest

from hub.markdown import render
from tests.hub.conftest import make_repo


@pytest.mark.parametrize(
    "source, forbidden",
    [
        ("<script>alert('x')</script>", ["<script", "alert("]),
        ('<img src="x.png" onerror="alert(1)">', ["onerror", "alert("]),
        ("[click](javascript:alert(1))", ["javascript:", "alert("]),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', ["javascript:", "alert("]),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', ["data:"]),
        ("<iframe src='https://evil.example'></iframe>", ["<iframe"]),
        ('<p style="position:fixed" onclick="steal()">hi</p>', ["style=", "onclick", "steal"]),
        ("<style>body{display:none}</style>", ["<style", "display:none"]),
        ('<form action="https://evil.example"><input name="password"></form>', ["<form", "<input"]),
    ],
)
def test_dangerous_markup_is_stripped(source, forbidden):
    html = render(source)
    for text in forbidden:
        assert text.lower() not in html.lower()


def test_markdown_features_survive():
    html = render(
        "## Run\n\n```\ndocker run <image>\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "- one\n- two\n\n![logo](https://img.example/logo.png)"
    )
    assert "<h2>Run</h2>" in html
    assert "<pre><code>docker run &lt;image&gt;\n</code></pre>" in html
    assert "<td>1</td>" in html
    assert "<li>one</li>" in html
    assert '<img alt="logo" src="https://img.example/logo.png">' in html


def test_links_get_nofollow_and_noopener():
    html = render("[docs](https://docs.example/) and <a href='/r/alice/web/' target=_blank>me</a>")
    assert '<a href="https://docs.example/" rel="nofollow noopener noreferrer">docs</a>' in html
    assert '<a href="/r/alice/web/" rel="nofollow noopener noreferrer">me</a>' in html


def test_repository_page_never_runs_the_readme_s_script(client, alice):
    make_repo(
        alice,
        "evil",
        full_description=(
            "# Hello\n<script>document.title='pwned'</script>\n"
            '<img src=x onerror="alert(1)">\n[x](javascript:alert(2))'
        ),
    )
    page = client.get("/r/alice/evil/").content.decode()
    article = page[page.index('<article class="card markdown">') : page.index("</article>")]
    assert "<h1>Hello</h1>" in article
    assert "<script" not in article
    assert "pwned" not in article
    assert "onerror" not in article
    assert "javascript:" not in article


def test_short_description_is_plain_text(client, alice):
    make_repo(alice, "plain", description="<b>bold</b> **not markdown**")
    page = client.get("/r/alice/plain/").content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; **not markdown**" in page
    assert "<b>bold</b>" not in page
