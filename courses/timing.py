"""How long until a class starts, in words, from the real time left (not a fixed reminder lead)."""

from datetime import timedelta

# Closer than this a class starts "in 2 hours"; further away it starts "today at 18:00 CET".
RELATIVE_WORDING_WITHIN = timedelta(hours=3)


def _plural(count, unit):
    return f"{count} {unit}{'' if count == 1 else 's'}"


def zone_abbreviation(local):
    """ "CET", or the zone's name where the zone has no lettered abbreviation (Istanbul is "+03")."""
    abbreviation = local.strftime("%Z")
    return abbreviation if abbreviation.isalpha() else f"({local.tzinfo.key})"


def starts_in_words(*, starts_at, zone, now):
    """ "in 45 minutes", "in 2 hours", "today at 18:00 CET", "tomorrow at 09:00 CET", "on Friday, December 4 at …".

    Days are counted in the class's zone: a class at 23:00 is "today" until midnight there.
    """
    minutes_left = round((starts_at - now).total_seconds() / 60)
    if minutes_left < 1:
        return "now"
    if minutes_left < 60:
        return f"in {_plural(minutes_left, 'minute')}"
    if minutes_left < RELATIVE_WORDING_WITHIN.total_seconds() / 60:
        hours, minutes = divmod(5 * round(minutes_left / 5), 60)
        return f"in {_plural(hours, 'hour')}" + (f" {_plural(minutes, 'minute')}" if minutes else "")
    local = starts_at.astimezone(zone)
    clock = f"{local:%H:%M} {zone_abbreviation(local)}"
    days_ahead = (local.date() - now.astimezone(zone).date()).days
    if days_ahead == 0:
        return f"today at {clock}"
    if days_ahead == 1:
        return f"tomorrow at {clock}"
    return f"on {local:%A, %B} {local.day} at {clock}"
