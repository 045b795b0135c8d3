"""The incident desk's forms: declare, post an update, mark services restored, change the impact."""

from __future__ import annotations

from django import forms

from incidents.models import Impact, Incident, IncidentService, IncidentState, IncidentTemplate
from inventory.models import Service, Site
from lockstep.dates import refuse_unlikely_date
from lockstep.forms import IdChoiceField, IdsChoiceField
from maintenance.forms import LOCAL_FORMAT, local_to_utc
from maintenance.models import Window


class IncidentForm(forms.Form):
    """Declare an incident. From a window, its site and its approved blast radius are filled in."""

    site = IdChoiceField(queryset=Site.objects.order_by("name"))
    title = forms.CharField(
        max_length=200, label="Public title", help_text="What customers read: no internal detail."
    )
    impact = forms.ChoiceField(
        choices=Impact.choices,
        label="Impact on the chosen services",
        help_text="Change it per service on the incident's page as the picture gets clearer.",
    )
    started_at = forms.DateTimeField(
        required=False,
        label="Started (site time; empty: now)",
        input_formats=[LOCAL_FORMAT],
        validators=[refuse_unlikely_date],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
    )
    message = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), label="First update to customers"
    )
    services = IdsChoiceField(
        queryset=Service.objects.none(), widget=forms.CheckboxSelectMultiple, label="Affected services"
    )

    def __init__(self, *args, window: Window | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.select_related("customer").order_by(
            "customer__name", "name"
        )
        self.fields["services"].label_from_instance = lambda s: f"{s.customer}: {s.name}"
        self.fields["message"].initial = IncidentTemplate.starting_words()[IncidentState.INVESTIGATING]
        if window is not None:
            self.fields["site"].initial = window.site_id
            self.fields["services"].initial = list(window.run.approved_services) if window.run_id else []

    def clean_started_at(self):
        naive = self.cleaned_data.get("started_at")
        site = self.cleaned_data.get("site")  # cleaned before this field: it comes first
        if naive is None or site is None:
            return None
        return local_to_utc(naive.replace(tzinfo=None), site)


class IncidentUpdateForm(forms.Form):
    form = forms.CharField(widget=forms.HiddenInput, initial="update")
    state = forms.ChoiceField(choices=IncidentState.choices)
    message = forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), label="Update to customers"
    )

    def __init__(self, *args, incident: Incident, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The page's script swaps in the chosen state's words while the message is untouched.
        self.starting_words = IncidentTemplate.starting_words()
        self.fields["state"].initial = incident.state
        self.fields["message"].initial = self.starting_words.get(incident.state, "")


class _OpenServicesForm(forms.Form):
    """A change to some of an open incident's services not yet restored."""

    services = IdsChoiceField(
        queryset=IncidentService.objects.none(), widget=forms.CheckboxSelectMultiple, label="Services"
    )

    def __init__(self, *args, incident: Incident, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.fields["services"].queryset = incident.affected.filter(restored_at__isnull=True).select_related(
            "service__customer"
        )
        self.fields["services"].label_from_instance = lambda row: (
            f"{row.service.customer}: {row.service.name} ({row.get_impact_display().lower()})"
        )


class RestoreForm(_OpenServicesForm):
    form = forms.CharField(widget=forms.HiddenInput, initial="restore")
    at = forms.DateTimeField(
        required=False,
        label="Restored at (site time; empty: now)",
        input_formats=[LOCAL_FORMAT],
        validators=[refuse_unlikely_date],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
    )

    def clean_at(self):
        naive = self.cleaned_data.get("at")
        return local_to_utc(naive.replace(tzinfo=None), self.incident.site) if naive else None


class ImpactForm(_OpenServicesForm):
    form = forms.CharField(widget=forms.HiddenInput, initial="impact")
    impact = forms.ChoiceField(choices=Impact.choices, label="Impact now")


class SourceForm(forms.Form):
    incident = forms.IntegerField(required=False, min_value=1, max_value=2**62)
    window = forms.IntegerField(required=False, min_value=1, max_value=2**62)


def source_from(data) -> Incident | Window | None:
    """The incident or the window a form names (`incident=` or `window=`), or None."""
    form = SourceForm(data)
    if not form.is_valid():
        return None
    if form.cleaned_data["incident"]:
        return Incident.objects.filter(pk=form.cleaned_data["incident"]).first()
    if form.cleaned_data["window"]:
        return Window.objects.select_related("run", "site").filter(pk=form.cleaned_data["window"]).first()
    return None
