from django.apps import AppConfig


class RegiozorgConfig(AppConfig):
    name = "regiozorg"

    def ready(self) -> None:
        from regiozorg import live_start, meetings_wiring

        live_start.connect()
        meetings_wiring.connect()
