from django import forms

from .models import CompletionRules

RULE_LABELS = {
    "missed_allowed": "Classes that may be missed",
    "required_classes": "Required classes",
    "makeup_counts": "A make-up class in another cohort counts",
    "min_polls_percent": "Attendance polls to answer over the course (%)",
    "credit_preset": "Credit scheme",
    "credit_label": "Name of the credit (custom)",
    "unit_minutes": "Minutes per credit (custom)",
    "minimum_credits": "Fewest credits a class can give (custom)",
    "increment": "Credits go up in steps of (custom)",
    "cap_per_class": "Most credits a class can give (custom)",
    "polls_scale_credit": "Attendance polls scale each class's credit",
}


class CompletionRulesForm(forms.ModelForm):
    class Meta:
        model = CompletionRules
        fields = list(RULE_LABELS)
        labels = RULE_LABELS
        widgets = {"required_classes": forms.CheckboxSelectMultiple}

    def __init__(self, *args, course=None, **kwargs):
        super().__init__(*args, **kwargs)
        if course is None:
            del self.fields["required_classes"]
        else:
            self.fields["required_classes"].queryset = course.class_sessions.exclude(status="cancelled").order_by(
                "starts_at"
            )
            self.fields["required_classes"].label_from_instance = lambda c: f"{c.title} ({c.local_starts_at:%b %-d})"

    def rule_values(self):
        return {name: value for name, value in self.cleaned_data.items() if name != "required_classes"}


class PollAnswerAssignForm(forms.Form):
    answer_id = forms.IntegerField(widget=forms.HiddenInput)
    registration_id = forms.IntegerField(label="Student")
