"""Websocket routes. Apps add their consumers here as live features arrive."""

from django.urls import path

from conversations.consumers import LiveConsumer

websocket_urlpatterns: list = [
    path("ws/live/", LiveConsumer.as_asgi()),
]
