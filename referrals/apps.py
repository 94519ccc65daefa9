from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self):
        from network.patient_sections import patient_section_register
        from referrals.selectors import patient_referrals_section

        # The patient page lists the patient's referrals without network importing referrals.
        patient_section_register(patient_referrals_section)
