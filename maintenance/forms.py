from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.contrib.auth import get_user_model

from accounts.roles import Role
from inventory.models import Device, Port, Site
from lockstep.dates import in_zone, refuse_unlikely_date
from lockstep.forms import IdChoiceField
from maintenance.models import TargetAction, Window

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def local_to_utc(naive: datetime, site: Site) -> datetime:
    """A wall-clock time at the site, as stored (UTC). Refuses a time the site's clock skips (spring forward)."""
    aware = naive.replace(tzinfo=site.tz)
    try:
        round_trip = aware.astimezone(UTC).astimezone(site.tz).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise forms.ValidationError(f"{naive:%Y-%m-%d %H:%M} is not a date a window can have.") from None
    if round_trip != naive:
        raise forms.ValidationError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {site.time_zone} (the clocks skip it). Pick another time."
        )
    return aware.astimezone(UTC)


class WindowForm(forms.ModelForm):
    """Times are typed in the site's own time zone, the one on the technicians' watches."""

    planned_start = forms.DateTimeField(
        input_formats=[LOCAL_FORMAT],
        validators=[refuse_unlikely_date],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
    )
    planned_end = forms.DateTimeField(
        input_formats=[LOCAL_FORMAT],
        validators=[refuse_unlikely_date],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
    )
    description = forms.CharField(required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}))
    rollback_plan = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )
    customer_summary = forms.CharField(
        required=False, max_length=2_000, widget=forms.Textarea(attrs={"rows": 3})
    )

    class Meta:
        model = Window
        fields = [
            "site",
            "title",
            "type",
            "risk",
            "planned_start",
            "planned_end",
            "description",
            "rollback_plan",
            "customer_summary",
            "assignees",
        ]
        widgets = {"assignees": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignees"].queryset = (
            get_user_model().objects.filter(groups__name=Role.TECH.value, is_active=True).order_by("username")
        )
        self.fields["assignees"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )
        self.fields["assignees"].help_text = "The techs who will do the work: performer and verifier."
        if self.instance.pk:
            site_zone = self.instance.site.tz
            for name in ("planned_start", "planned_end"):
                shown = in_zone(getattr(self.instance, name), site_zone)
                # A time beyond the calendar at the site is left for the requester to type again, rather
                # than offered in UTC as if it were the site's.
                self.initial[name] = shown.replace(tzinfo=None) if shown.tzinfo is site_zone else None

    def clean(self):
        data = super().clean()
        site = data.get("site")
        start, end = data.get("planned_start"), data.get("planned_end")
        if site and start and end:
            try:
                data["planned_start"] = local_to_utc(start.replace(tzinfo=None), site)
                data["planned_end"] = local_to_utc(end.replace(tzinfo=None), site)
            except forms.ValidationError as error:
                raise forms.ValidationError(error.messages) from None
            if data["planned_end"] <= data["planned_start"]:
                self.add_error("planned_end", "The window must end after it starts.")
        if self.instance.pk and site and site.pk != self.instance.site_id and self.instance.targets.exists():
            self.add_error("site", "Remove the targets before moving the window to another site.")
        return data


class TargetForm(forms.Form):
    """A target picked from the inventory (the picker's search results list each device and port with its
    own Add button): ids, never a name parsed out of typed text, so a name with spaces is never misread."""

    device = IdChoiceField(
        queryset=Device.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That device is not in the inventory at this window's site."},
    )
    port = IdChoiceField(
        queryset=Port.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "That port is not in the inventory at this window's site."},
    )
    action = forms.ChoiceField(choices=TargetAction.choices)

    def __init__(self, *args, site: Site, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.site = site
        self.fields["device"].queryset = Device.objects.filter(site=site)
        self.fields["port"].queryset = Port.objects.filter(device__site=site).select_related("device")

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("device") is None) == (data.get("port") is None):
            raise forms.ValidationError("Pick one device or one port from the search results.")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2_000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = forms.CharField(max_length=2_000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # An override of a redundancy conflict: each service ticked by id, and why. The model decides whether
    # they are enough; the form only makes sure they are numbers and words.
    override_service = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    override_reason = forms.CharField(max_length=2_000, required=False)

    def __init__(self, *args, services: dict[int, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["override_service"].choices = [(pk, name) for pk, name in (services or {}).items()]
