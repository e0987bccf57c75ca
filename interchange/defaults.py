"""The rating mapping a new install starts with: labels fact-checkers commonly publish, in
English, French, German, Spanish, Portuguese, Russian, Ukrainian and Arabic, and the verdict
each means. Labels not here (satire, "needs context" and the like) have no verdict until
someone maps them in the admin; unknown is not "unproven"."""

# ruff: noqa: RUF001 (labels in Cyrillic are meant)

from __future__ import annotations

from typing import Any

from interchange.models import rating_key

VERIFIED, FALSE, MISLEADING, UNPROVEN = "verified", "false", "misleading", "unproven"

RATING_MAPPINGS: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("True", VERIFIED),
        ("Correct", VERIFIED),
        ("Accurate", VERIFIED),
        ("Mostly true", VERIFIED),
        ("False", FALSE),
        ("Fake", FALSE),
        ("Incorrect", FALSE),
        ("Pants on fire", FALSE),
        ("Mostly false", FALSE),
        ("Fabricated", FALSE),
        ("Misleading", MISLEADING),
        ("Half true", MISLEADING),
        ("Partly false", MISLEADING),
        ("Missing context", MISLEADING),
        ("Distorts the facts", MISLEADING),
        ("Exaggerated", MISLEADING),
        ("Altered", MISLEADING),
        ("Unproven", UNPROVEN),
        ("Unverified", UNPROVEN),
        ("Unsupported", UNPROVEN),
        ("No evidence", UNPROVEN),
        ("Unsubstantiated", UNPROVEN),
    ],
    "fr": [
        ("Vrai", VERIFIED),
        ("Faux", FALSE),
        ("Fausse information", FALSE),
        ("Plutôt faux", FALSE),
        ("Trompeur", MISLEADING),
        ("Partiellement faux", MISLEADING),
        ("Manque de contexte", MISLEADING),
        ("Exagéré", MISLEADING),
        ("Infondé", UNPROVEN),
        ("Invérifiable", UNPROVEN),
        ("Sans preuve", UNPROVEN),
    ],
    "de": [
        ("Richtig", VERIFIED),
        ("Wahr", VERIFIED),
        ("Falsch", FALSE),
        ("Größtenteils falsch", FALSE),
        ("Frei erfunden", FALSE),
        ("Irreführend", MISLEADING),
        ("Teilweise falsch", MISLEADING),
        ("Fehlender Kontext", MISLEADING),
        ("Unbelegt", UNPROVEN),
        ("Nicht belegt", UNPROVEN),
    ],
    "es": [
        ("Verdadero", VERIFIED),
        ("Cierto", VERIFIED),
        ("Falso", FALSE),
        ("Mayormente falso", FALSE),
        ("Engañoso", MISLEADING),
        ("Parcialmente falso", MISLEADING),
        ("Impreciso", MISLEADING),
        ("Sacado de contexto", MISLEADING),
        ("Exagerado", MISLEADING),
        ("Sin evidencia", UNPROVEN),
        ("No hay evidencia", UNPROVEN),
        ("Insostenible", UNPROVEN),
    ],
    "pt": [
        ("Verdadeiro", VERIFIED),
        ("Falso", FALSE),
        ("Enganoso", MISLEADING),
        ("Distorcido", MISLEADING),
        ("Fora de contexto", MISLEADING),
        ("Exagerado", MISLEADING),
        ("Sem provas", UNPROVEN),
        ("Insustentável", UNPROVEN),
    ],
    "ru": [
        ("Правда", VERIFIED),
        ("Ложь", FALSE),
        ("Неправда", FALSE),
        ("Фейк", FALSE),
        ("Манипуляция", MISLEADING),
        ("Полуправда", MISLEADING),
        ("Вводит в заблуждение", MISLEADING),
        ("Не доказано", UNPROVEN),
        ("Недоказано", UNPROVEN),
    ],
    "uk": [
        ("Правда", VERIFIED),
        ("Неправда", FALSE),
        ("Фейк", FALSE),
        ("Маніпуляція", MISLEADING),
        ("Напівправда", MISLEADING),
        ("Не доведено", UNPROVEN),
        ("Бездоказово", UNPROVEN),
    ],
    "ar": [
        ("صحيح", VERIFIED),
        ("زائف", FALSE),
        ("خاطئ", FALSE),
        ("كاذب", FALSE),
        ("مضلل", MISLEADING),
        ("زائف جزئيا", MISLEADING),
        ("صحيح جزئيا", MISLEADING),
        ("غير مثبت", UNPROVEN),
        ("غير مؤكد", UNPROVEN),
    ],
}


def rating_mappings_default(*, mapping_model: Any) -> None:
    """Add the labels above that are not mapped yet (a label in two languages, like "Falso"
    or "Правда", once). Takes the model as an argument for the data migration."""
    known = set(mapping_model.objects.values_list("key", flat=True))
    rows = []
    for language, labels in RATING_MAPPINGS.items():
        for label, verdict in labels:
            key = rating_key(label)
            if key not in known:
                known.add(key)
                rows.append(mapping_model(label=label, key=key, verdict=verdict, language=language))
    mapping_model.objects.bulk_create(rows)
