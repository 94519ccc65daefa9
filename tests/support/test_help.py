"""Help per function (issue 19, part B): articles in Markdown rendered harmless, and a working
"?" on every main page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from regiozorg.navigation import sections_for
from support.markdown import markdown_render
from support.models import HelpArticle, HelpKey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _articles():
    """The data migration's articles (gone when an earlier transactional test flushed a reused
    test database): the same texts, put back the way the migration does."""
    from support.help_texts import HELP_ARTICLES

    for key, (title, body) in HELP_ARTICLES.items():
        HelpArticle.objects.get_or_create(key=key, defaults={"title": title, "body": body})


HELP_LINK = re.compile(r'<a class="btn btn-icon help-link[^"]*" href="([^"]+)"')
# On a phone the same link sits in the help menu (the header stays one row).
HELP_MENU_LINK = re.compile(r'<a class="help-link-menu" href="([^"]+)"')


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[klik](javascript:alert(1))",
        '<a href="#" onclick="alert(1)">klik</a>',
    ],
)
def test_markdown_with_script_or_event_handler_is_rendered_harmless(evil):
    html = markdown_render(f"## Kop\n\nGewone **tekst**.\n\n{evil}\n")
    assert "<h2>Kop</h2>" in html
    assert "<strong>tekst</strong>" in html
    assert "<script" not in html
    assert "<img" not in html
    assert not re.search(r"<a [^>]*on\w+=", html)
    assert 'href="javascript' not in html


def test_help_article_page_shows_sanitised_markdown(client, gp):
    article = HelpArticle.objects.get(key=HelpKey.PROFILE)
    article.body = 'Lees **dit**.\n\n<img src=x onerror="alert(1)"> <script>alert(2)</script>'
    article.save()
    client.force_login(gp)
    response = client.get(reverse("support:help-article", kwargs={"key": "profile"}))
    html = response.content.decode()
    assert "<strong>dit</strong>" in html
    assert "<img src=x" not in html
    assert "<script>alert(2)" not in html


def test_every_function_has_a_dutch_article():
    articles = dict(HelpArticle.objects.values_list("key", "body"))
    assert set(articles) == set(HelpKey.values)
    assert all(len(body) > 300 for body in articles.values())
    mdo = articles[HelpKey.MDO_VIDEO]
    assert "gastlink" in mdo and "wachtkamer" in mdo.lower() and "camera" in mdo


def test_help_index_lists_every_article(client, gp):
    client.force_login(gp)
    html = client.get(reverse("support:help-index")).content.decode()
    for key in HelpKey.values:
        assert reverse("support:help-article", kwargs={"key": key}) in html


def test_unknown_article_is_a_404(client, gp):
    client.force_login(gp)
    assert client.get("/hulp/bestaat-niet/").status_code == 404


def _help_link_works(client, path) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    found = HELP_LINK.search(html)
    assert found, f"{path} has no '?' link"
    in_menu = HELP_MENU_LINK.search(html)
    assert in_menu and in_menu.group(1) == found.group(1), f"{path}: no help in the phone menu"
    article = client.get(found.group(1))
    assert article.status_code == 200, f"{path}: {found.group(1)} gives {article.status_code}"
    return found.group(1)


@pytest.mark.parametrize("actor", ["gp", "nurse"])
def test_every_main_page_has_a_working_help_link(actor, request, secure_client):
    user = request.getfixturevalue(actor)
    client = secure_client(user)
    membership = user.memberships.select_related("organisation").get()
    pages = [section["url"] for section in sections_for(membership)]
    pages += [
        reverse("accounts:profile"),
        reverse("support:ticket-list"),
        reverse("support:help-index"),
        reverse("support:release-notes"),
    ]
    assert len(pages) > 8
    targets = {path: _help_link_works(client, path) for path in pages}
    assert targets[reverse("meetings:list")].endswith("/hulp/mdo_video/")
    assert targets[reverse("referrals:list")].endswith("/hulp/referrals/")
    assert targets[reverse("accounts:profile")].endswith("/hulp/profile/")


def test_shared_inbox_management_opens_its_own_article():
    from django.urls import resolve

    from support.help_map import help_key_for

    assert help_key_for(resolve(reverse("conversations:inbox-list"))) == "shared_inboxes"
    assert help_key_for(resolve(reverse("conversations:inbox"))) == "conversations"
