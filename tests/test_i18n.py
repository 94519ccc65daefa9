"""The UI is Dutch: every string of ours is translated, and the compiled catalog is current."""

from pathlib import Path

import allauth
import polib
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale/nl/LC_MESSAGES/django.po"
MO = ROOT / "locale/nl/LC_MESSAGES/django.mo"


def test_every_string_has_a_dutch_translation_that_is_not_fuzzy():
    catalog = polib.pofile(str(PO))
    assert [e.msgid for e in catalog.untranslated_entries()] == []
    assert [e.msgid for e in catalog.fuzzy_entries()] == []


def test_the_compiled_catalog_matches_the_po_file():
    def pairs(catalog):
        return {
            (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
            for e in catalog
            if not e.obsolete
        }

    assert pairs(polib.mofile(str(MO))) == pairs(polib.pofile(str(PO)))


def test_allauth_words_are_overridden_by_ours():
    """The overrides only work for msgids allauth really uses; a renamed msgid would silently
    bring back allauth's own wording."""
    allauth_catalog = polib.pofile(
        str(Path(allauth.__file__).parent / "locale/nl/LC_MESSAGES/django.po")
    )
    allauth_msgids = {e.msgid for e in allauth_catalog}
    from accounts.translation_overrides import ALLAUTH_MSGIDS

    assert set(ALLAUTH_MSGIDS) <= allauth_msgids
    with translation.override("nl"):
        assert translation.gettext("Sign Out") == "Uitloggen"
        assert translation.gettext("Two-Factor Authentication") == "Tweestapsverificatie"
