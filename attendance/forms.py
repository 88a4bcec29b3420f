from django import forms

from .models import OverrideStatus


class AttendanceMarkForm(forms.Form):
    status = forms.ChoiceField(choices=OverrideStatus.choices, label="Attendance")
    reason = forms.CharField(max_length=500, required=False, label="Reason")


class ParticipantAssignForm(forms.Form):
    participant_id = forms.IntegerField(widget=forms.HiddenInput)
    registration_id = forms.IntegerField(label="Student")
