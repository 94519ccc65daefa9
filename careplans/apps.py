from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareplansConfig(AppConfig):
    name = "careplans"
    verbose_name = _("Care plans")

    def ready(self):
        from careplans.acp_selectors import acp_patient_header
        from careplans.plan_selectors import patient_plan_section
        from network.patient_sections import patient_header_register, patient_section_register

        # The patient header shows the PZP's headline and tab, and the overview sums up the
        # health plan, without network importing careplans.
        patient_header_register(acp_patient_header)
        patient_section_register(patient_plan_section)
