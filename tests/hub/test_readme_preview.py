"""The README editor's Preview: the text rendered and sanitised as the Overview tab shows it,
by the server, with nothing saved."""

from hub.models import Repository

SETTINGS = "/r/alice/web/settings/"
README = "# Web\n\nServes **pages**. <script>alert(1)</script> [x](javascript:alert(1))"


def _data(**overrides):
    data = {
        "settings-description": "The public web server",
        "settings-full_description": README,
        "settings-visibility": "public",
        "preview": "1",
    }
    return {**data, **overrides}


def test_the_editor_has_write_and_preview_tabs(client, alice, public_repo):
    client.force_login(alice)
    page = client.get(SETTINGS).content.decode()
    assert 'role="tab" id="readme-write-tab"' in page and ">Write</button>" in page
    assert 'name="preview" value="1" formnovalidate>Preview</button>' in page
    assert 'id="readme-preview" role="tabpanel"' in page
    assert "js/readme_preview" in page


def test_the_script_gets_the_readme_rendered_and_sanitised_alone(client, alice, public_repo):
    client.force_login(alice)
    response = client.post(SETTINGS, _data(), HTTP_X_WHARF_PREVIEW="1")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert html.startswith("<h1>Web</h1>")
    assert "<strong>pages</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    assert "<html" not in html  # the fragment only, not the page


def test_preview_renders_exactly_what_the_overview_shows_once_saved(client, alice, public_repo):
    client.force_login(alice)
    preview = client.post(SETTINGS, _data(), HTTP_X_WHARF_PREVIEW="1").content.decode()
    client.post(SETTINGS, {k: v for k, v in _data().items() if k != "preview"})
    overview = client.get("/r/alice/web/").content.decode()
    assert preview in overview


def test_preview_saves_nothing(client, alice, public_repo):
    client.force_login(alice)
    client.post(SETTINGS, _data(), HTTP_X_WHARF_PREVIEW="1")
    client.post(SETTINGS, _data())
    assert Repository.objects.get(pk=public_repo.pk).full_description == ""


def test_without_script_the_page_comes_back_with_the_preview_open(client, alice, public_repo):
    client.force_login(alice)
    response = client.post(SETTINGS, _data())
    page = response.content.decode()
    assert response.status_code == 200
    assert 'aria-selected="true" data-editor-tab="preview"' in page
    preview = page[page.index('id="readme-preview"') :]
    assert "<h1>Web</h1>" in preview[: preview.index("</div>")]
    assert "# Web\n\nServes **pages**." in page  # the text is still in the editor
    assert "Settings saved." not in page


def test_an_empty_readme_previews_as_nothing(client, alice, public_repo):
    client.force_login(alice)
    response = client.post(
        SETTINGS, _data(**{"settings-full_description": ""}), HTTP_X_WHARF_PREVIEW="1"
    )
    assert response.content == b""


def test_only_those_who_may_change_the_settings_can_preview(client, bob, public_repo):
    client.force_login(bob)
    response = client.post(SETTINGS, _data(), HTTP_X_WHARF_PREVIEW="1")
    assert response.status_code in (403, 404)
    assert b"<h1>Web</h1>" not in response.content
