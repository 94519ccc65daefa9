from django.apps import AppConfig


class HisConfig(AppConfig):
    name = "his"
    # The admin's heading; "HIS" is the same word in Dutch.
    verbose_name = "HIS"
