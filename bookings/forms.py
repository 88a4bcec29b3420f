from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from courses.forms import RegistrationForm
from courses.models import Course
from orgs.selectors import teacher_label, teachers_of
from orgs.timezones import timezone_choices

from .availability import availability_parse, availability_text
from .models import BookingOffer


class OfferForm(forms.ModelForm):
    availability_text = forms.CharField(
        label="Weekly availability",
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "Mon 09:00-12:00\nWed 14:00-17:30"}),
        help_text="One window a line, a day and two times in the offer's time zone. Sessions start at each "
        "window's start, then every session length plus buffer.",
    )
    timezone = forms.ChoiceField(choices=timezone_choices, label="Time zone")

    class Meta:
        model = BookingOffer
        fields = [
            "title",
            "description",
            "course",
            "trainer",
            "duration_minutes",
            "buffer_minutes",
            "timezone",
            "notice_hours",
            "horizon_days",
            "max_per_student",
            "capacity",
            "is_published",
        ]
        labels = {
            "duration_minutes": "Session length (minutes)",
            "buffer_minutes": "Buffer between sessions (minutes)",
            "notice_hours": "Minimum notice (hours)",
            "horizon_days": "Bookable up to (days ahead)",
            "max_per_student": "Upcoming sessions per student",
            "capacity": "People per session",
            "is_published": "Open for booking",
        }

    def __init__(self, *args, organization, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(organization=organization)
        self.fields["trainer"].queryset = teachers_of(organization=organization)
        self.fields["trainer"].label_from_instance = teacher_label
        offer = self.instance if self.instance.pk else None
        keep = [organization.timezone, offer.timezone if offer else None]
        self.fields["timezone"].choices = timezone_choices(keep=keep)
        if offer is None:
            self.fields["timezone"].initial = organization.timezone
            self.fields["trainer"].initial = user.pk
        else:
            self.fields["availability_text"].initial = availability_text(offer.availability)

    def clean_availability_text(self):
        windows = availability_parse(self.cleaned_data["availability_text"])
        if not windows:
            raise forms.ValidationError("Add at least one window, like “Mon 09:00-12:00”.")
        self.cleaned_data["availability"] = windows
        return self.cleaned_data["availability_text"]

    def offer_values(self):
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["availability"] = self.cleaned_data["availability"]
        return values


class SlotChoiceMixin:
    """A time among `slots` (aware datetimes), posted as ISO 8601 in any offset."""

    def slots_set(self, slots):
        self.slots = set(slots)

    def clean_starts_at(self):
        parsed = parse_datetime(self.cleaned_data["starts_at"] or "")
        if parsed is None or timezone.is_naive(parsed) or parsed not in self.slots:
            raise forms.ValidationError("Pick one of the times offered.")
        return parsed


class BookingForm(SlotChoiceMixin, RegistrationForm):
    starts_at = forms.CharField(label="Time", error_messages={"required": "Pick a time."})

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots_set(slots)


class RescheduleForm(SlotChoiceMixin, forms.Form):
    starts_at = forms.CharField(label="New time", error_messages={"required": "Pick a new time."})

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.slots_set(slots)
