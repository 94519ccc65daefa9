"""Websocket routes. Apps add their consumers here as live features arrive."""

from django.urls import path

from conversations.consumers import LiveConsumer
from regiozorg.call_consumer import CallConsumer

websocket_urlpatterns: list = [
    path("ws/live/", LiveConsumer.as_asgi()),
    path("ws/call/<uuid:room>/", CallConsumer.as_asgi()),
    path("ws/gesprek/<str:token>/", CallConsumer.as_asgi()),
]
