from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareplansConfig(AppConfig):
    name = "careplans"
    verbose_name = _("Care plans")

    def ready(self):
        from careplans.acp_selectors import acp_patient_header
        from network.patient_sections import patient_header_register

        # The patient header shows the plan's headline and the PZP tab without network
        # importing careplans.
        patient_header_register(acp_patient_header)
