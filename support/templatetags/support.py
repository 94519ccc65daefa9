from django import template

from support.markdown import markdown_render

register = template.Library()


@register.filter
def markdown(text: str):
    """The helpdesk's Markdown as sanitised HTML (support.markdown)."""
    return markdown_render(text)
