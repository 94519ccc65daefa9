"""Websocket routes. Apps add their consumers here as live features arrive."""

websocket_urlpatterns: list = []
