"""A fact check's readable address, in the claim's own script."""

from __future__ import annotations

import pytest

from publishing.models import SLUG_MAX_LENGTH
from publishing.services import slug_for


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        (
            "Russia has ordered troops back to their bases.",
            "russia-has-ordered-troops-back-to-their-bases",
        ),
        ("Росія відвела війська від кордону.", "росія-відвела-війська-від-кордону"),
        ("Россия отвела войска!", "россия-отвела-войска"),
        ("الجيش الروسي يعود إلى قواعده", "الجيش-الروسي-يعود-إلى-قواعده"),
        ("俄罗斯军队返回基地", "俄罗斯军队返回基地"),
        ("La Russie a retiré ses troupes ?", "la-russie-a-retiré-ses-troupes"),
        ("🔥🔥 !!!", "claim"),
        ("</script><script>alert(1)</script>", "scriptscriptalert1script"),
    ],
)
def test_slugs_keep_the_claims_script(text: str, slug: str) -> None:
    assert slug_for(text) == slug


def test_a_long_claim_is_cut_at_a_word() -> None:
    slug = slug_for("troops " * 40)
    assert len(slug) <= SLUG_MAX_LENGTH
    assert slug.endswith("troops")
