from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareplansConfig(AppConfig):
    name = "careplans"
    verbose_name = _("Care plans")

    def ready(self):
        from careplans.plan_selectors import patient_plan_section
        from network.patient_sections import patient_section_register

        # The patient overview sums up the health plan without network importing careplans.
        patient_section_register(patient_plan_section)
