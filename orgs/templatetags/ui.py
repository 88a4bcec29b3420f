"""Small presentation helpers shared by every app's templates."""

from datetime import timedelta

from django import template
from django.templatetags.tz import do_timezone
from django.utils import timezone
from django.utils.timesince import timesince

from orgs.selectors import teacher_label

register = template.Library()

_WIDGET_CLASSES = {
    "select": "form-select",
    "selectmultiple": "form-select",
    "checkbox": "form-check-input",
    "radioselect": "",
}


@register.filter
def bs(field):
    """Render a bound field's widget with Bootstrap classes (and is-invalid on error)."""
    css = _WIDGET_CLASSES.get(field.widget_type, "form-control")
    if field.errors:
        css += " is-invalid"
    attrs = {"class": css}
    if field.help_text:
        attrs["aria-describedby"] = f"{field.auto_id}_help"
    return field.as_widget(attrs=attrs)


@register.filter
def in_zone(value, zone_name):
    """A UTC datetime shown in a class's time zone (not the viewer's)."""
    if value is None:
        return ""
    return do_timezone(value, zone_name)


@register.filter
def minutes_until(value):
    """Minutes from now until a datetime (negative once it has passed), e.g. to open a Join button early."""
    if value is None:
        return None
    return (value - timezone.now()).total_seconds() / 60


@register.filter
def time_ago(value):
    """ "just now" under a minute (timesince alone says "0 minutes"), else "5 minutes ago", "1 hour, 2 minutes ago"."""
    if value is None:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value)} ago"


@register.simple_tag(takes_context=True)
def page_query(context, number, param="page"):
    """The current query string with one list's page set; the pages of the page's other lists are kept."""
    query = context["request"].GET.copy()
    query[param] = number
    return f"?{query.urlencode()}"


@register.filter
def teacher(user):
    """A trainer as the class page names them: their name and email, or the email alone."""
    return teacher_label(user)
