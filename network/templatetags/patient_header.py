"""``{% patient_header as header %}``: what the apps above network add to the patient header
(``network.patient_sections.patient_header_register``), for the page's actor and access."""

from __future__ import annotations

from django import template

from network.access import Actor
from network.patient_sections import patient_header_for

register = template.Library()


@register.simple_tag(takes_context=True)
def patient_header(context):
    access = context.get("access")
    request = context.get("request")
    if access is None or request is None:
        return {"badges": [], "tabs": []}
    items = patient_header_for(actor=Actor.from_request(request), access=access)
    return {
        "badges": [badge for item in items for badge in item.badges],
        "tabs": [item.tab for item in items if item.tab],
    }
