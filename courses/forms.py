import zoneinfo
from datetime import timedelta

from django import forms
from django.utils import timezone

from orgs.selectors import teacher_label, teachers_of
from orgs.timezones import timezone_choices

from . import extensions
from .models import Course, DeliveryMode, RepeatFrequency
from .recurrence import SERIES_MAX_CLASSES, WEEKDAY_NAMES, WEEKLY, RepeatRule


def add_validation_errors(form, error):
    """Show a service's ValidationError on the form: on its fields where they match, else above the form."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["title", "description", "certification", "attendance_threshold_percent", "enrolment_open"]
        labels = {
            "attendance_threshold_percent": "Attendance threshold (%)",
            "enrolment_open": "Students can enrol in the whole course",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


# A class is scheduled at most this far ahead: calendars, Zoom and time-zone rules all end somewhere
# (year 9999 plus a zone ahead of UTC is no date at all).
SCHEDULE_AHEAD_YEARS = 10


def local_datetime_field(label, help_text):
    """A date and time typed in a class's own zone (the browser's datetime-local control)."""
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=help_text,
    )


class ClassExtensionsMixin:
    """The class forms' shared parts: who teaches, the fields other apps add (Create Zoom meeting), the date range."""

    def teachers_add(self, *, organization, user=None, class_session=None):
        """Trainer and co-trainers, chosen among the organization's owners and trainers; a new class is the author's."""
        teachers = teachers_of(organization=organization)
        self.fields["trainer"] = forms.ModelChoiceField(
            queryset=teachers,
            required=False,
            label="Trainer",
            empty_label="No one in particular",
            help_text="Their own Zoom hosts the class when they connected one; else the organization's.",
        )
        self.fields["co_trainers"] = forms.ModelMultipleChoiceField(
            queryset=teachers,
            required=False,
            label="Co-trainers",
            widget=forms.CheckboxSelectMultiple,
            help_text="On Zoom they become alternative hosts where Zoom allows it.",
        )
        for name in ("trainer", "co_trainers"):
            self.fields[name].label_from_instance = teacher_label
        if class_session is not None:
            self.fields["trainer"].initial = class_session.trainer_id
            self.fields["co_trainers"].initial = [user.pk for user in class_session.co_trainers.all()]
        elif user is not None and teachers.filter(pk=user.pk).exists():
            self.fields["trainer"].initial = user.pk

    def teachers_values(self):
        trainer = self.cleaned_data.get("trainer")
        co_trainers = [user for user in self.cleaned_data.get("co_trainers") or [] if user != trainer]
        return {"trainer": trainer, "co_trainers": co_trainers}

    def extension_fields_add(self, *, organization, class_session):
        self.extension_field_names = []
        for provider in extensions.class_form_fields:
            for name, field in provider(organization=organization, class_session=class_session).items():
                self.fields[name] = field
                self.extension_field_names.append(name)

    def extension_options(self):
        return {name: self.cleaned_data.get(name) for name in self.extension_field_names}

    def date_in_range(self, field, local):
        latest = timezone.now().year + SCHEDULE_AHEAD_YEARS
        if 2000 <= local.year <= latest:
            return True
        self.add_error(field, f"Choose a date between the year 2000 and {latest}.")
        return False


class ClassSessionForm(ClassExtensionsMixin, forms.Form):
    """The class form. Times are typed in the class's own time zone and stored in UTC."""

    title = forms.CharField(max_length=200)
    starts_at_local = local_datetime_field("Starts at", "In the class's time zone.")
    duration_minutes = forms.IntegerField(label="Duration (minutes)", min_value=1, max_value=1440, initial=60)
    timezone = forms.ChoiceField(choices=timezone_choices, label="Time zone")
    delivery_mode = forms.ChoiceField(choices=DeliveryMode.choices, label="Delivery mode", initial=DeliveryMode.VIRTUAL)
    location = forms.CharField(
        label="Location or notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The address for an in-person class, or notes for students.",
    )
    capacity = forms.IntegerField(min_value=1, initial=30, help_text="How many students can register.")
    confirm_overlap = forms.BooleanField(
        label="Save anyway",
        required=False,
        widget=forms.HiddenInput,  # shown as a checkbox once there is an overlap to confirm
    )

    def __init__(self, *args, organization, class_session=None, user=None, **kwargs):
        self.organization, self.class_session = organization, class_session
        if class_session is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": class_session.title,
                    "starts_at_local": class_session.local_starts_at.replace(tzinfo=None),
                    "duration_minutes": class_session.duration_minutes,
                    "timezone": class_session.timezone,
                    "delivery_mode": class_session.delivery_mode,
                    "location": class_session.location,
                    "capacity": class_session.capacity,
                },
            )
        super().__init__(*args, **kwargs)
        if class_session is None:
            self.fields["timezone"].initial = organization.timezone
        self.fields["timezone"].choices = timezone_choices(
            keep=[organization.timezone, class_session.timezone if class_session else None]
        )
        self.teachers_add(organization=organization, user=user, class_session=class_session)
        self.extension_fields_add(organization=organization, class_session=class_session)

    def clean(self):
        cleaned = super().clean()
        local = cleaned.get("starts_at_local")
        zone_name = cleaned.get("timezone")
        if local and zone_name:
            naive = local.replace(tzinfo=None) if timezone.is_aware(local) else local
            if not self.date_in_range("starts_at_local", naive):
                return cleaned
            cleaned["starts_at"] = timezone.make_aware(naive, zoneinfo.ZoneInfo(zone_name))
            self._overlaps_check(cleaned)
        return cleaned

    def _overlaps_check(self, cleaned):
        """Warn before saving a class at the same time as another its host runs (one host, one meeting at a time)."""
        if "duration_minutes" not in cleaned or cleaned.get("confirm_overlap"):
            return
        conflicts = extensions.schedule_conflicts_for(
            organization=self.organization,
            class_session=self.class_session,
            starts_at=cleaned["starts_at"],
            ends_at=cleaned["starts_at"] + timedelta(minutes=cleaned["duration_minutes"]),
            virtual=cleaned.get("delivery_mode") == DeliveryMode.VIRTUAL,
            trainer=cleaned.get("trainer"),
            options={name: cleaned.get(name) for name in self.extension_field_names},
        )
        if conflicts:
            self.fields["confirm_overlap"].widget = forms.CheckboxInput()
            self.fields["confirm_overlap"].help_text = "Tick to save the class at this time all the same."
            for conflict in conflicts:
                self.add_error(None, conflict)

    def session_values(self):
        data = self.cleaned_data
        return {
            "title": data["title"],
            "starts_at": data["starts_at"],
            "duration_minutes": data["duration_minutes"],
            "timezone": data["timezone"],
            "delivery_mode": data["delivery_mode"],
            "location": data.get("location", ""),
            "capacity": data["capacity"],
            **self.teachers_values(),
        }


class RegistrationForm(forms.Form):
    first_name = forms.CharField(max_length=64, label="First name")
    last_name = forms.CharField(max_length=64, label="Last name", required=False)
    email = forms.EmailField(max_length=128, label="Email address")


class BulkRegistrationForm(forms.Form):
    lines = forms.CharField(
        label="Students, one per line",
        widget=forms.Textarea(
            attrs={"rows": 8, "placeholder": "Ada Lovelace <ada@example.com>\nGrace,Hopper,grace@example.com"}
        ),
        help_text="Each line is “Name <email>” or CSV “first,last,email”.",
    )


WEEKDAY_CHOICES = [(str(number), name) for number, name in enumerate(WEEKDAY_NAMES)]


class ClassSeriesForm(ClassExtensionsMixin, forms.Form):
    """Schedule a series: a repeat rule typed in the class's zone; each class it makes stays editable alone."""

    title_pattern = forms.CharField(
        max_length=200,
        label="Class titles",
        initial="Week {n}",
        help_text="{n} becomes the class's number: “Week {n}: Risk management” gives “Week 1: Risk management”, …",
    )
    first_starts_at_local = local_datetime_field(
        "First class starts at",
        "In the series' time zone; every class starts at this local time, daylight saving or not.",
    )
    timezone = forms.ChoiceField(choices=timezone_choices, label="Time zone")
    duration_minutes = forms.IntegerField(label="Duration (minutes)", min_value=1, max_value=1440, initial=90)
    frequency = forms.ChoiceField(choices=RepeatFrequency.choices, label="Repeat", initial=RepeatFrequency.WEEKLY)
    interval = forms.IntegerField(
        label="Every", min_value=1, max_value=90, initial=1, help_text="Every 1 week, every 2 weeks, … (or days)."
    )
    weekdays = forms.MultipleChoiceField(
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="On",
        help_text="Weekly only; none ticked means the first class's weekday.",
    )
    count = forms.IntegerField(
        label="Number of classes", min_value=1, max_value=SERIES_MAX_CLASSES, required=False, initial=8
    )
    until = forms.DateField(
        label="Or until", required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="The last date."
    )
    delivery_mode = forms.ChoiceField(choices=DeliveryMode.choices, label="Delivery mode", initial=DeliveryMode.VIRTUAL)
    location = forms.CharField(
        label="Location or notes",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The address for in-person classes, or notes for students.",
    )
    capacity = forms.IntegerField(min_value=1, initial=30, help_text="How many students each class can take.")
    one_zoom_meeting = forms.BooleanField(
        label="One Zoom meeting for the whole series",
        required=False,
        initial=True,
        help_text="Students get one join link that works for every class. Untick for a meeting per class.",
        widget=forms.CheckboxInput(attrs={"data-virtual-only": "true"}),
    )

    def __init__(self, *args, organization, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].initial = organization.timezone
        self.fields["timezone"].choices = timezone_choices(keep=[organization.timezone])
        self.teachers_add(organization=organization, user=user)
        self.extension_fields_add(organization=organization, class_session=None)

    def clean(self):
        cleaned = super().clean()
        local = cleaned.get("first_starts_at_local")
        if cleaned.get("count") and cleaned.get("until"):
            self.add_error("until", "Give a number of classes or an end date, not both.")
        elif not cleaned.get("count") and not cleaned.get("until") and "count" not in self.errors:
            self.add_error("count", "Give a number of classes or an end date.")
        if local:
            self.date_in_range("first_starts_at_local", local)
        return cleaned

    def rule(self):
        data = self.cleaned_data
        local = data["first_starts_at_local"].replace(tzinfo=None)
        return RepeatRule(
            first_date=local.date(),
            start_time=local.time(),
            zone_name=data["timezone"],
            frequency=data["frequency"],
            interval=data["interval"],
            weekdays=tuple(int(day) for day in data["weekdays"]) if data["frequency"] == WEEKLY else (),
            count=data.get("count") or None,
            until=data.get("until") or None,
        )


class CourseCopyForm(forms.Form):
    title = forms.CharField(max_length=200, label="Title of the new course")
    first_starts_on = forms.DateField(
        label="First class on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Every class moves by the same number of days and keeps its local time.",
    )
