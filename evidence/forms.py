from django import forms


class PollAnswerAssignForm(forms.Form):
    answer_id = forms.IntegerField(widget=forms.HiddenInput)
    registration_id = forms.IntegerField(label="Student")
