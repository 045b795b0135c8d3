"""Templates ask the models; they never spell a status, state, role, kind or phase themselves.

A comparison like `{% if window.status == "in_progress" %}` says a rule a second time, away from the model
that owns it, and goes quietly false when the value is renamed. The page asks a predicate instead
(`window.is_in_progress`, `step.is_hold_point`, `user_may.approve`). This test reads every template's
`{% if %}`/`{% elif %}` conditions and fails on a comparison with a string literal that is one of the project's
choice values, or that is compared with a variable named for one (status, state, role, kind, phase...)."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.template.base import smart_split

from accounts.roles import Role

TEMPLATES = Path(settings.BASE_DIR) / "templates"

# Variables whose name says they hold a domain value: comparing one with a literal spells a rule.
DOMAIN_NAME = re.compile(r"(status|state|role|roles|kind|phase|mode|level|decision|channel)$")

# Each entry: (template, literal) -> why that comparison stays. Keep it short: an entry is a debt or an
# enum-driven partial, never a rule.
ALLOWED: dict[tuple[str, str], str] = {
    # Enum-driven: the public status page maps each level word of `status.Level` (a plain string the feeds
    # and the JSON say too, not a choice with predicates) to its colour and sentence, and says nothing else.
    ("incidents/status_page.html", "Operational"): "status.Level mapped to its colour and words",
    ("incidents/status_page.html", "Under maintenance"): "status.Level mapped to its colour and words",
    (
        "incidents/_status_incident.html",
        "Operational",
    ): "status.Level: an incident's level, said unless all is well",
}

CONDITION = re.compile(r"{%-?\s*(?:el)?if\s+(.*?)\s*-?%}", re.S)
OPERATORS = {"==", "!=", "in"}


def _choice_values() -> set[str]:
    """Every value of every TextChoices the project's models use, and the role names."""
    values = {role.value for role in Role}
    ours = [app for app in apps.get_app_configs() if Path(app.path).parent == Path(settings.BASE_DIR)]
    for model in (model for app in ours for model in app.get_models()):
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str):
                    values.add(value)
    return values


def _literal(token: str) -> str | None:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return token[1:-1]
    return None


def _variable_name(token: str) -> str:
    """`p.run.status|lower` -> `status`."""
    return token.split("|", 1)[0].rsplit(".", 1)[-1]


def literal_comparisons(text: str) -> list[tuple[str, str, str]]:
    """(variable, literal, the comparison as written) for each comparison with a string literal in the
    template's conditions."""
    found = []
    for condition in CONDITION.findall(text):
        tokens = list(smart_split(condition))
        for i, token in enumerate(tokens):
            if token not in OPERATORS or i == 0 or i + 1 == len(tokens):
                continue
            left, right = tokens[i - 1], tokens[i + 1]
            said = f"{left} {token} {right}"
            if (literal := _literal(right)) is not None and _literal(left) is None:
                found.append((left, literal, said))
            elif (literal := _literal(left)) is not None and _literal(right) is None:
                found.append((right, literal, said))
    return found


def spelled_rules() -> dict[tuple[str, str], list[str]]:
    values = _choice_values()
    spelled: dict[tuple[str, str], list[str]] = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = path.relative_to(TEMPLATES).as_posix()
        for variable, literal, said in literal_comparisons(path.read_text()):
            if literal in values or DOMAIN_NAME.search(_variable_name(variable)):
                spelled.setdefault((name, literal), []).append(said)
    return spelled


def test_no_template_compares_a_status_or_role_with_a_string(db):
    spelled = {key: found for key, found in spelled_rules().items() if key not in ALLOWED}
    assert not spelled, (
        "Ask a model predicate instead (e.g. window.is_in_progress, step.is_hold_point, user_may.approve):\n"
        + "\n".join(f"  {name}: {', '.join(found)}" for (name, _), found in spelled.items())
    )


def test_every_allowed_comparison_is_still_there(db):
    """An entry whose comparison has gone is removed, so the list stays as short as the debt."""
    assert set(ALLOWED) <= set(spelled_rules())


def test_the_scan_finds_what_it_is_meant_to_find():
    found = literal_comparisons(
        '{% if run.status == "held" %}x{% elif "approver" in user_roles %}y{% endif %}'
        "{% if step.kind != 'hold_point' and ok %}{% endif %}{% if field.name != \"form\" %}{% endif %}"
    )
    assert found == [
        ("run.status", "held", 'run.status == "held"'),
        ("user_roles", "approver", '"approver" in user_roles'),
        ("step.kind", "hold_point", "step.kind != 'hold_point'"),
        ("field.name", "form", 'field.name != "form"'),
    ]
    assert DOMAIN_NAME.search(_variable_name("p.run.status|lower"))
    assert not DOMAIN_NAME.search(_variable_name("field.name"))
