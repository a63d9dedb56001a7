"""Every label exists in English and Japanese."""

from __future__ import annotations

import pytest

from denen_gis.errors import InputError
from denen_gis.render.i18n import LABELS, LANGS, tr


@pytest.mark.parametrize("key", sorted(LABELS))
def test_label_in_every_language(key):
    for lang in LANGS:
        assert LABELS[key][lang].strip(), (key, lang)
    assert set(LABELS[key]) == set(LANGS)


def test_tr():
    assert tr("rural", "ja") == "農村部"
    assert tr("rural") == "Rural"
    with pytest.raises(InputError, match="lang"):
        tr("rural", "zh")
