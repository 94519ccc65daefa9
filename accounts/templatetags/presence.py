from django import template

from accounts.presence import presence_of

register = template.Library()


@register.inclusion_tag("accounts/partials/presence_marker.html")
def presence_marker(user):
    """Absence or 'not a working day' marker next to a name (prefetch with ``with_presence``)."""
    return {"presence": presence_of(user)}


@register.filter(name="presence")
def presence_filter(user):
    """``{% with p=user|presence %}``: the same answer as the marker, for sentences."""
    return presence_of(user)
