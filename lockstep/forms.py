"""Form fields that choose rows by id and refuse, in words, an id the database could not even hold (Django's
own fields pass such a number to the database, which raises instead of answering "no such choice")."""

from __future__ import annotations

from django import forms

from lockstep.converters import as_id


def _refuse_impossible(field: forms.Field, values) -> None:
    for value in values:
        if value in field.empty_values:
            continue
        if as_id(str(value)) is None:
            raise forms.ValidationError(
                field.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": str(value)[:40]},
            )


class IdChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        _refuse_impossible(self, [value])
        return super().to_python(value)


class IdsChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value):
        if isinstance(value, list | tuple):
            _refuse_impossible(self, value)
        return super().clean(value)
