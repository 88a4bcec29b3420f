"""allauth's forms that email an address anyone can type, with our rate limits and their clear message."""

from allauth.account import forms as allauth_forms
from allauth.core import context
from django import forms

from cohortstudio.ratelimits import (
    PASSWORD_RESET_LIMIT,
    SIGN_IN_CODE_LIMIT,
    SIGNUP_LIMIT,
    RateLimited,
    email_form_rate_limit,
)


class _RateLimitedEmail:
    rate_limit = None

    def clean_email(self):
        email = super().clean_email()
        if email:
            try:
                email_form_rate_limit(request=context.request, limit=self.rate_limit, address=email)
            except RateLimited as limited:
                raise forms.ValidationError(str(limited), code="rate_limited") from None
        return email


class RequestLoginCodeForm(_RateLimitedEmail, allauth_forms.RequestLoginCodeForm):
    rate_limit = SIGN_IN_CODE_LIMIT


class ResetPasswordForm(_RateLimitedEmail, allauth_forms.ResetPasswordForm):
    rate_limit = PASSWORD_RESET_LIMIT


class SignupForm(_RateLimitedEmail, allauth_forms.SignupForm):
    rate_limit = SIGNUP_LIMIT
