"""The report's added columns in templates: `{{ column|cell_of:registration.pk }}`."""

from django import template

register = template.Library()


@register.filter
def cell_of(column, registration_id):
    return column.cell(registration_id)
