from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuestionnairesConfig(AppConfig):
    name = "questionnaires"
    verbose_name = _("Questionnaires")

    def ready(self):
        from network.patient_sections import patient_header_register
        from questionnaires.library_selectors import questionnaire_patient_header
        from questionnaires.measure_selectors import measurements_patient_header

        # The patient header's *Meetwaarden* and *Vragenlijsten* tabs, without network importing
        # questionnaires.
        patient_header_register(measurements_patient_header)
        patient_header_register(questionnaire_patient_header)
