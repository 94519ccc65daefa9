"""The advance care plan as FHIR R4, after IKNL's PZP implementation guide (profiles ``ACP-*`` on
nl-core zib2020, canonical ``https://fhir.iknl.nl/fhir``).

One version becomes a transaction Bundle of conditional requests:

- **Encounter** (ACP-Encounter): the conversation — date, who held it, who was present;
- **Consent** (ACP-TreatmentDirective) for each treatment limit, and for the agreement about the
  ICD; **Consent** (ACP-AdvanceDirective) for earlier recorded agreements and a written
  euthanasia request; a privacy **Consent** for what the patient agreed to share, with whom;
- **Goal** (ACP-MedicalPolicyGoal) for the main treatment goal;
- **Observation** for the wishes and positions (specific care wishes, preferred place of death,
  position on euthanasia, organ donation registration, what else matters, decision-making
  capacity (ACP-LegallyCapable), whether the agreements differ from earlier ones);
- **RelatedPerson** (ACP-ContactPerson) for the legal representative and the first contact;
- **DeviceUseStatement** (ACP-MedicalDevice) with its **Device** (ACP-MedicalDevice.Product-ICD)
  for an ICD;
- a **Communication** with the SOEP note (ICPC-1-NL A99, and A20 when euthanasia was
  discussed), for HISes that file notes.

Every resource has this installation's identifier with a UUID derived from the plan's UUID (the
Encounter from the conversation's date), and is ``PUT [type]?identifier=…``: exporting again,
or a newer version, updates the same resources at the receiver. :data:`FIELD_MAP` names for
every field of the national form the resource and element it lands in (a test checks each).
"""

from __future__ import annotations

import uuid

from fhir.resources.R4B.bundle import Bundle

from careplans.acp_fhir_codes import (
    ACP_CODE,
    COMMENT_URL,
    CONSENT_SCOPE,
    DATA_ABSENT,
    DEATH_PLACE_CODES,
    EUTHANASIA_CODES,
    GOAL_CODES,
    IKNL,
    LOINC,
    ROLE_SYSTEM,
    ROLES,
    SPECIFICATION_OTHER_URL,
    TREATMENT_CODES,
    WILSVERKLARING_SYSTEM,
    YES_NO_UNKNOWN,
)
from careplans.acp_selectors import field_label, field_value, shared_with_names
from careplans.models import TREATMENTS, AcpVersion, Decision, TreatmentDecision
from his.fhir import (
    conditional_create,
    conditional_update,
    icpc_coding,
    organization_match,
    organization_resource,
    own_identifier,
    patient_resource,
    practitioner_match,
    practitioner_resource,
    practitioner_role_resource,
    profile,
    role_uuid,
)
from network.fhir import BSN_SYSTEM, SNOMED_SYSTEM


def _key(version: AcpVersion, name: str) -> uuid.UUID:
    return uuid.uuid5(version.plan.uuid, name)


def _urn(value: uuid.UUID) -> str:
    return f"urn:uuid:{value}"


def _ref(value: uuid.UUID, display: str = "") -> dict:
    reference = {"reference": _urn(value)}
    if display:
        reference["display"] = display
    return reference


def _snomed(code_display, text: str = "") -> dict:
    code, display = code_display
    concept = {"coding": [{"system": SNOMED_SYSTEM, "code": code, "display": display}]}
    if text:
        concept["text"] = text
    return concept


def _start(kind: str, profile_id: str, key: uuid.UUID) -> dict:
    return {
        "resourceType": kind,
        "meta": profile(IKNL + profile_id),
        "identifier": [own_identifier(key)],
    }


def _comment(text: str) -> list[dict]:
    return [{"url": COMMENT_URL, "valueString": text}] if text else []


class _Builder:
    """Collects the resources of one version by a name (``resources``), in bundle order."""

    def __init__(self, *, patient, version: AcpVersion):
        self.patient = patient
        self.version = version
        self.resources: dict[str, tuple[uuid.UUID, dict]] = {}
        self.date = version.conversation_date.isoformat()
        practice, author = version.organisation, version.created_by
        self.author_key = role_uuid(author, practice)
        self.patient_ref = _ref(patient.uuid, patient.formal_name)
        self.performer = _ref(self.author_key, f"{author.full_name} ({practice.name})")
        self.encounter_key = _key(version, f"Encounter:{self.date}")
        self.encounter_ref = _ref(self.encounter_key, f"PZP-gesprek {self.date}")

    def add(self, name: str, key: uuid.UUID, resource: dict) -> None:
        self.resources[name] = (key, resource)

    # --- the conversation --------------------------------------------------------------------
    def encounter(self) -> None:
        v = self.version
        participants = []
        if v.held_by_name or v.held_by_function:
            participants.append(
                {
                    "type": [{"text": v.held_by_function or "Gespreksvoerder"}],
                    "individual": {"display": v.held_by_name or v.held_by_function},
                }
            )
        for row in v.present:
            participants.append(
                {
                    "type": [
                        {
                            "text": " – ".join(
                                p for p in (row.get("role"), row.get("relation")) if p
                            )
                            or "Aanwezig"
                        }
                    ],
                    "individual": {"display": row.get("name") or row.get("role") or "Aanwezig"},
                }
            )
        resource = _start("Encounter", "ACP-Encounter", self.encounter_key) | {
            "status": "finished",
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "AMB",
                "display": "ambulatory",
            },
            "type": [_snomed(ACP_CODE, "Proactieve zorgplanning")],
            "subject": self.patient_ref,
            "period": {"start": self.date},
        }
        if participants:
            resource["participant"] = participants
        self.add("Encounter", self.encounter_key, resource)

    # --- treatment limits --------------------------------------------------------------------
    def treatment_directives(self) -> None:
        v = self.version
        for field, label in TREATMENTS:
            decision, note = getattr(v, field), getattr(v, f"{field}_note")
            if field == "other" and decision == TreatmentDecision.UNKNOWN and not v.other_treatment:
                continue
            key = _key(v, f"TreatmentDirective:{field}")
            text = v.other_treatment if field == "other" and v.other_treatment else str(label)
            code = (
                _snomed(TREATMENT_CODES[field], text)
                if field in TREATMENT_CODES
                else {"text": text}
            )
            provision = {"code": [code]}
            extensions = _comment(note)
            if decision == TreatmentDecision.DO:
                provision["type"] = "permit"
            elif decision == TreatmentDecision.DONT:
                provision["type"] = "deny"
            elif decision == TreatmentDecision.OTHER:
                # "Ja, maar": allowed with the restrictions written down.
                provision["type"] = "permit"
                extensions = [{"url": SPECIFICATION_OTHER_URL, "valueString": note}]
            self.add(
                f"TreatmentDirective:{field}",
                key,
                self._directive(key, provision, extensions, decision),
            )

    def _directive(self, key, provision, extensions, decision) -> dict:
        resource = _start("Consent", "ACP-TreatmentDirective", key)
        if extensions:
            resource["extension"] = extensions
        return resource | {
            "status": "active" if decision != TreatmentDecision.UNKNOWN else "proposed",
            "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "treatment"}]},
            "category": [_snomed(("129125009", "procedure met expliciete context"))],
            "patient": self.patient_ref,
            "dateTime": self.date,
            "performer": [self.performer],
            "policy": [{"uri": "https://wetten.overheid.nl/"}],
            "provision": provision,
        }

    def icd(self) -> None:
        v = self.version
        if v.icd_present == Decision.NO and not v.icd_type:
            return
        device_key = _key(v, "Device:icd")
        device = _start("Device", "ACP-MedicalDevice.Product-ICD", device_key) | {
            "type": _snomed(("72506001", "implanteerbare defibrillator"), v.icd_type or "ICD"),
            "patient": self.patient_ref,
        }
        self.add("Device", device_key, device)
        key = _key(v, "DeviceUseStatement:icd")
        statement = _start("DeviceUseStatement", "ACP-MedicalDevice", key) | {
            "status": "active" if v.icd_present == Decision.YES else "intended",
            "subject": self.patient_ref,
            "device": _ref(device_key, v.icd_type or "ICD"),
            "note": [
                {"text": f"{field_label('icd_agreement')}: {field_value(v, 'icd_agreement')}"}
            ],
        }
        if v.icd_note:
            statement["note"].append({"text": v.icd_note})
        self.add("DeviceUseStatement", key, statement)
        if v.icd_agreement != "not_discussed":
            key = _key(v, "TreatmentDirective:icd")
            provision = {
                "type": "permit" if v.icd_agreement == "switch_off" else "deny",
                "code": [{"text": "ICD uitzetten"}],
            }
            self.add(
                "TreatmentDirective:icd",
                key,
                self._directive(key, provision, _comment(v.icd_note), "icd"),
            )

    # --- advance directives ----------------------------------------------------------------
    def advance_directives(self) -> None:
        v = self.version
        if v.earlier_agreements:
            key = _key(v, "AdvanceDirective:earlier")
            self.add(
                "AdvanceDirective:earlier",
                key,
                self._advance(
                    key, {"text": "Eerder vastgelegde behandelafspraken"}, v.earlier_agreements
                ),
            )
        if v.euthanasia == "request":
            key = _key(v, "AdvanceDirective:euthanasia")
            code = {
                "coding": [
                    {"system": WILSVERKLARING_SYSTEM, "code": "EU", "display": "Euthanasieverzoek"}
                ]
            }
            self.add(
                "AdvanceDirective:euthanasia", key, self._advance(key, code, v.euthanasia_note)
            )

    def _advance(self, key, code, comment) -> dict:
        resource = _start("Consent", "ACP-AdvanceDirective", key)
        if comment:
            resource["extension"] = _comment(comment)
        return resource | {
            "status": "active",
            "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "adr"}]},
            "category": [
                {"coding": [{"system": LOINC, "code": "42348-3", "display": "Advance directives"}]}
            ],
            "patient": self.patient_ref,
            "dateTime": self.date,
            "policy": [{"uri": "https://wetten.overheid.nl/"}],
            "provision": {"code": [code]},
        }

    def sharing(self) -> None:
        v = self.version
        key = _key(v, "Consent:sharing")
        actors = (
            [
                {
                    "role": {"text": "Huisarts, huisartsenpost en ambulancedienst"},
                    "reference": {"display": "Huisarts, huisartsenpost en ambulancedienst"},
                }
            ]
            if v.consent_gp_emergency
            else []
        )
        actors += [
            {"role": {"text": "Zorgnetwerk"}, "reference": {"display": name}}
            for name in (shared_with_names(v) if v.consent_network else [])
        ]
        provision = {"type": "permit" if actors else "deny"}
        if actors:
            provision["actor"] = actors
        resource = _start("Consent", "ACP-ConsentToShare", key) | {
            "status": "active",
            "scope": {"coding": [{"system": CONSENT_SCOPE, "code": "patient-privacy"}]},
            "category": [
                {"coding": [{"system": LOINC, "code": "59284-0", "display": "Consent Document"}]}
            ],
            "patient": self.patient_ref,
            "dateTime": self.date,
            "policy": [{"uri": "https://wetten.overheid.nl/"}],
            "provision": provision,
        }
        self.add("Consent:sharing", key, resource)

    # --- goal, people, wishes ----------------------------------------------------------------
    def goal(self) -> None:
        v = self.version
        key = _key(v, "Goal:treatment")
        description = {"text": field_value(v, "goal")}
        if v.goal in GOAL_CODES:
            description = _snomed(GOAL_CODES[v.goal], field_value(v, "goal"))
        goal = _start("Goal", "ACP-MedicalPolicyGoal", key) | {
            "lifecycleStatus": "active",
            "category": [_snomed(ACP_CODE)],
            "description": description,
            "subject": self.patient_ref,
            "startDate": self.date,
        }
        if v.goal_note:
            goal["note"] = [{"text": v.goal_note}]
        self.add("Goal", key, goal)

    def related_people(self) -> None:
        v = self.version
        for prefix, (code, role) in ROLES.items():
            name = getattr(v, f"{prefix}_name")
            if not name:
                continue
            key = _key(v, f"RelatedPerson:{prefix}")
            person = _start("RelatedPerson", "ACP-ContactPerson", key) | {
                "patient": self.patient_ref,
                "relationship": [
                    {"coding": [{"system": ROLE_SYSTEM, "code": code, "display": role}]}
                ],
                "name": [{"text": name}],
            }
            relation = getattr(v, f"{prefix}_relation")
            if relation:
                person["relationship"].append({"text": relation})
            telecom = []
            if getattr(v, f"{prefix}_phone"):
                telecom.append({"system": "phone", "value": getattr(v, f"{prefix}_phone")})
            if getattr(v, f"{prefix}_email"):
                telecom.append({"system": "email", "value": getattr(v, f"{prefix}_email")})
            if telecom:
                person["telecom"] = telecom
            self.add(f"RelatedPerson:{prefix}", key, person)

    def observation(
        self, name, profile_id, code, *, value=None, text="", note="", boolean=None
    ) -> None:
        key = _key(self.version, f"Observation:{name}")
        resource = _start("Observation", profile_id, key) | {
            "status": "final",
            "code": code,
            "subject": self.patient_ref,
            "encounter": self.encounter_ref,
            "effectiveDateTime": self.date,
            "performer": [self.performer],
        }
        if value is not None:
            resource["valueCodeableConcept"] = value
        elif boolean is not None:
            resource["valueBoolean"] = boolean
        elif text:
            resource["valueString"] = text
        else:
            resource["dataAbsentReason"] = {
                "coding": [{"system": DATA_ABSENT, "code": "asked-unknown"}]
            }
        if note:
            resource["note"] = [{"text": note}]
        self.add(f"Observation:{name}", key, resource)

    def observations(self) -> None:
        v = self.version
        self.observation(
            "care_wishes",
            "ACP-SpecificCareWishes",
            _snomed(
                (
                    "153851000146100",
                    "wensen en verwachtingen met betrekking tot uitkomst van behandeling",
                )
            ),
            text=v.care_wishes,
        )
        place = field_value(v, "death_place")
        self.observation(
            "death_place",
            "ACP-PreferredPlaceOfDeath",
            _snomed(("395091006", "gewenste plek van overlijden")),
            value=None
            if v.death_place == "unknown"
            else (
                _snomed(DEATH_PLACE_CODES[v.death_place], place)
                if v.death_place in DEATH_PLACE_CODES
                else {"text": place}
            ),
            note=v.death_place_note,
        )
        position = field_value(v, "euthanasia")
        self.observation(
            "euthanasia",
            "ACP-PositionRegardingEuthanasia",
            _snomed(("340171000146104", "standpunt ten opzichte van euthanasie")),
            value=None
            if v.euthanasia == "unknown"
            else (
                _snomed(EUTHANASIA_CODES[v.euthanasia], position)
                if v.euthanasia in EUTHANASIA_CODES
                else {"text": position}
            ),
            note=v.euthanasia_note,
        )
        self.observation(
            "organ_donation",
            "ACP-OrganDonationChoiceRegistration",
            _snomed(("570801000146104", "geregistreerd in orgaandonorregister")),
            value=_snomed(YES_NO_UNKNOWN[v.organ_donation], field_value(v, "organ_donation")),
        )
        self.observation(
            "other_matters",
            "ACP-SenseOfPurpose",
            _snomed(("247751003", "zingeving")),
            text=v.other_matters,
        )
        self.observation(
            "capacity",
            "ACP-LegallyCapable",
            _snomed(
                (
                    "665671000146101",
                    "juridisch in staat om beslissingen te nemen over medische behandelingen",
                ),
                field_label("capacity"),
            ),
            boolean={"capable": True, "incapable": False}.get(v.capacity),
            note=v.capacity_note,
        )
        self.observation(
            "earlier_differ",
            "ACP-AgreementsDifferFromEarlier",
            {"text": field_label("earlier_differ")},
            value=_snomed(YES_NO_UNKNOWN[v.earlier_differ], field_value(v, "earlier_differ")),
        )


def acp_resources(*, patient, version: AcpVersion) -> dict[str, tuple[uuid.UUID, dict]]:
    """The version's PZP resources by name (``Encounter``, ``TreatmentDirective:icu``, …)."""
    builder = _Builder(patient=patient, version=version)
    builder.encounter()
    builder.treatment_directives()
    builder.icd()
    builder.advance_directives()
    builder.sharing()
    builder.goal()
    builder.related_people()
    builder.observations()
    return builder.resources


def acp_icpc(version: AcpVersion) -> list[tuple[str, str]]:
    """ICPC-1-NL of the note: A99 for the plan, A20 when euthanasia was discussed."""
    codes = [("A99", "Proactieve zorgplanning")]
    if version.euthanasia in ("considers", "request"):
        codes.append(("A20", "Euthanasie verzoek/gesprek"))
    return codes


def acp_communication(*, patient, version: AcpVersion, note: str, key: uuid.UUID) -> dict:
    return {
        "resourceType": "Communication",
        "identifier": [own_identifier(key)],
        "status": "completed",
        "subject": _ref(patient.uuid, patient.formal_name),
        "encounter": _ref(_key(version, f"Encounter:{version.conversation_date.isoformat()}")),
        "topic": {"text": f"Proactieve zorgplanning, versie {version.number}"},
        "sent": version.created_at.isoformat(timespec="seconds"),
        "sender": _ref(role_uuid(version.created_by, version.organisation)),
        "reasonCode": [
            {"coding": [icpc_coding(code, title)], "text": f"{code} {title}"}
            for code, title in acp_icpc(version)
        ],
        "payload": [{"contentString": note}],
    }


def acp_bundle(
    *, patient, version: AcpVersion, note: str = "", note_key: uuid.UUID | None = None
) -> dict:
    """The version as a validated FHIR R4 transaction Bundle (JSON dict); with ``note``, the
    SOEP note as a Communication too (what goes to the HIS)."""
    practice, author = version.organisation, version.created_by
    role_key = role_uuid(author, practice)
    patient_json = patient_resource(patient, his_number=True)
    match = patient_json["identifier"][0]
    if match["system"] != BSN_SYSTEM:
        match = own_identifier(patient.uuid)
    entries = [
        conditional_create(patient_json, _urn(patient.uuid), match=match),
        conditional_create(
            organization_resource(practice), _urn(practice.uuid), match=organization_match(practice)
        ),
        conditional_create(
            practitioner_resource(author), _urn(author.uuid), match=practitioner_match(author)
        ),
        conditional_create(
            practitioner_role_resource(
                author,
                practice,
                practitioner=_ref(author.uuid, author.full_name),
                organization=_ref(practice.uuid, practice.name),
            ),
            _urn(role_key),
            match=own_identifier(role_key),
        ),
    ]
    for key, resource in acp_resources(patient=patient, version=version).values():
        entries.append(conditional_update(resource, _urn(key), match=own_identifier(key)))
    if note:
        key = note_key or uuid.uuid4()
        entries.append(
            conditional_update(
                acp_communication(patient=patient, version=version, note=note, key=key),
                _urn(key),
                match=own_identifier(key),
            )
        )
    bundle = {
        "resourceType": "Bundle",
        "id": str(_key(version, f"Bundle:v{version.number}:{bool(note)}")),
        "type": "transaction",
        "entry": entries,
    }
    Bundle.model_validate(bundle)  # raises if we built something invalid
    return bundle


# Every field of the national form → (resource name in acp_resources, element). The test
# fills every field and finds each one's value there.
FIELD_MAP: dict[str, tuple[str, str]] = {
    "conversation_date": ("Encounter", "period.start"),
    "held_by_name": ("Encounter", "participant.0.individual.display"),
    "held_by_function": ("Encounter", "participant.0.type.0.text"),
    "present": ("Encounter", "participant.1.individual.display"),
    "capacity": ("Observation:capacity", "valueBoolean"),
    "capacity_note": ("Observation:capacity", "note.0.text"),
    "representative_name": ("RelatedPerson:representative", "name.0.text"),
    "representative_phone": ("RelatedPerson:representative", "telecom.0.value"),
    "representative_email": ("RelatedPerson:representative", "telecom.1.value"),
    "representative_relation": ("RelatedPerson:representative", "relationship.1.text"),
    "contact_name": ("RelatedPerson:contact", "name.0.text"),
    "contact_phone": ("RelatedPerson:contact", "telecom.0.value"),
    "contact_email": ("RelatedPerson:contact", "telecom.1.value"),
    "contact_relation": ("RelatedPerson:contact", "relationship.1.text"),
    "goal": ("Goal", "description.text"),
    "goal_note": ("Goal", "note.0.text"),
    **{
        name: (
            f"TreatmentDirective:{field}",
            "provision.type" if name == field else "extension.0.valueString",
        )
        for field, _label in TREATMENTS
        for name in (field, f"{field}_note")
    },
    "other_treatment": ("TreatmentDirective:other", "provision.code.0.text"),
    "icd_present": ("DeviceUseStatement", "status"),
    "icd_type": ("Device", "type.text"),
    "icd_agreement": ("DeviceUseStatement", "note.0.text"),
    "icd_note": ("DeviceUseStatement", "note.1.text"),
    "care_wishes": ("Observation:care_wishes", "valueString"),
    "death_place": ("Observation:death_place", "valueCodeableConcept.text"),
    "death_place_note": ("Observation:death_place", "note.0.text"),
    "euthanasia": ("Observation:euthanasia", "valueCodeableConcept.text"),
    "euthanasia_note": ("Observation:euthanasia", "note.0.text"),
    "organ_donation": ("Observation:organ_donation", "valueCodeableConcept.text"),
    "other_matters": ("Observation:other_matters", "valueString"),
    "earlier_agreements": ("AdvanceDirective:earlier", "extension.0.valueString"),
    "earlier_differ": ("Observation:earlier_differ", "valueCodeableConcept.text"),
    "consent_gp_emergency": ("Consent:sharing", "provision.actor.0.role.text"),
    "consent_network": ("Consent:sharing", "provision.actor.1.role.text"),
    "shared_with": ("Consent:sharing", "provision.actor.1.reference.display"),
}
