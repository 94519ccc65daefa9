from django.apps import AppConfig


class RegiozorgConfig(AppConfig):
    name = "regiozorg"

    def ready(self) -> None:
        from regiozorg import live_start

        live_start.connect()
