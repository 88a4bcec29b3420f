from django import forms

from .models import Role
from .timezones import timezone_choices


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=120, label="Organization name")
    timezone = forms.ChoiceField(choices=timezone_choices, initial="UTC", label="Time zone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices(keep=[self.initial.get("timezone")])

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name for the organization.")
        return name


class OrganizationSettingsForm(OrganizationForm):
    attendance_threshold_percent = forms.IntegerField(
        min_value=1,
        max_value=100,
        label="Attendance threshold (%)",
        help_text="A student counts as attended when present for at least this share of the scheduled class.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.TRAINER)
