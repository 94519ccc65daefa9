"""The codes and systems the PZP's FHIR uses (IKNL's PZP guide, SNOMED CT, zib code lists)."""

from __future__ import annotations

from careplans.models import Decision

IKNL = "https://fhir.iknl.nl/fhir/StructureDefinition/"
LOINC = "http://loinc.org"
COMMENT_URL = "http://nictiz.nl/fhir/StructureDefinition/ext-Comment"
SPECIFICATION_OTHER_URL = (
    "http://nictiz.nl/fhir/StructureDefinition/ext-TreatmentDirective2.SpecificationOther"
)
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
WILSVERKLARING_SYSTEM = "urn:oid:2.16.840.1.113883.2.4.3.11.60.40.4.14.1"
# SNOMED CT for each treatment of the form (the text always goes along).
TREATMENT_CODES = {
    "resuscitation": ("89666000", "cardiopulmonale resuscitatie"),
    "ventilation": ("40617009", "kunstmatige beademing"),
    "icu": ("305351004", "opname op intensive care"),
    "hospital": ("32485007", "ziekenhuisopname"),
    "antibiotics": ("281789004", "antibiotische therapie"),
    "blood_products": ("116762002", "toediening van bloedproduct"),
}
DEATH_PLACE_CODES = {
    "home": ("264362003", "thuis"),
    "hospital": ("22232009", "ziekenhuis"),
    "nursing_home": ("42665001", "verpleeghuis"),
    "hospice": ("284546000", "hospice"),
}
YES_NO_UNKNOWN = {
    Decision.YES: ("373066001", "ja"),
    Decision.NO: ("373067005", "nee"),
    Decision.UNKNOWN: ("261665006", "onbekend"),
}
ACP_CODE = ("713603004", "advance care planning")
GOAL_CODES = {
    "life_prolonging": ("1351964001", "levensverlengende behandeling"),
    "symptoms": ("713148004", "voorkomen en behandelen van symptomen"),
}
# zib ContactPerson's RolCodelijst: first contact, legal representative.
ROLE_SYSTEM = "urn:oid:2.16.840.1.113883.2.4.3.11.22.472"
ROLES = {
    "representative": ("24", "Wettelijke vertegenwoordiger"),
    "contact": ("01", "Eerste relatie/contactpersoon"),
}
EUTHANASIA_CODES = {"no": ("340201000146103", "wil geen euthanasie")}
