from __future__ import annotations

from django import forms

from inventory.importers import FILE_NAMES, ImportReport, import_netbox_csv, max_upload_bytes


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            if not data and self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class NetBoxImportForm(forms.Form):
    files = MultipleFileField(
        label="NetBox CSV files",
        help_text=f"{FILE_NAMES}: NetBox's bulk-import columns, comma, semicolon or tab delimited. Any subset; "
        "all of them are checked before anything is written.",
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        limit = max_upload_bytes()
        for upload in files:
            # Checked before reading: Django's own upload limits do not cover file bodies.
            if upload.size > limit:
                raise forms.ValidationError(
                    f"{upload.name} is {upload.size // (1024 * 1024)} MB; the limit is {limit // (1024 * 1024)} MB."
                )
        names = [upload.name for upload in files]
        if len(set(names)) != len(names):
            raise forms.ValidationError("Two files have the same name; rename one.")
        return files

    def run(self, *, by) -> ImportReport:
        return import_netbox_csv({upload.name: upload.read() for upload in self.cleaned_data["files"]}, by=by)
