"""Which roles of an evaluation the fake backend played. The fake backend is a deterministic test double, not
a language model: numbers it produced test the software, never the method, and every report says so first.

    >>> banner_text(["synthesizer", "judge"])[:56]
    'Fake backend: the synthesizer and judge were the fake ba'
    >>> banner_text([]) is None
    True
"""

from __future__ import annotations

ROLE_ORDER = ("judge", "synthesizer", "reconstructor", "listwise judge", "user model")
_TRACE_ROLES = {"synthesizer": "synthesizer", "reconstructor": "reconstructor", "judge": "listwise judge"}


def is_fake(model: object) -> bool:
    """Whether a model fingerprint (as written in manifests and records) is the fake backend's."""
    return isinstance(model, dict) and model.get("kind") == "fake"


def fake_roles(setup: dict) -> list[str]:
    """The roles in results.json's `setup` that the fake backend played, in a fixed order."""
    found = set()
    if is_fake((setup.get("judge") or {}).get("model")):
        found.add("judge")
    for entry in (setup.get("methods") or {}).values():
        if is_fake(((entry or {}).get("predictions") or {}).get("model")):
            found.add("user model")
        for key, model in ((((entry or {}).get("traces") or {}).get("models")) or {}).items():
            if key in _TRACE_ROLES and is_fake(model):
                found.add(_TRACE_ROLES[key])
    return [r for r in ROLE_ORDER if r in found]


def banner_text(roles: list[str]) -> str | None:
    """The one sentence every report opens with when the fake backend played any role; None otherwise."""
    if not roles:
        return None
    named = roles[0] if len(roles) == 1 else ", ".join(roles[:-1]) + " and " + roles[-1]
    return (f"Fake backend: the {named} {'was' if len(roles) == 1 else 'were'} the fake backend, a deterministic "
            "test double that is not a language model. These numbers test the software, not the method.")
