"""Writes of the questionnaire library and of responses.

``questionnaire_import`` keeps a FHIR Questionnaire in the library: the same name and version
again replaces its questions and rules in place (so loading the shipped instruments twice
changes nothing), unless responses already refer to it — then a changed definition is refused
(give it a new version), because what was reported must stay readable as it was asked.

``response_submit`` stores a response with its scores. Idempotent on ``client_key``: a form sent
twice (a double click, a resend on a flaky connection) gives one response.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle

from his.fhir import (
    BSN_SYSTEM,
    conditional_create,
    conditional_update,
    organization_match,
    organization_resource,
    own_identifier,
    patient_resource,
)
from his.selectors import his_export_unchanged
from his.services import his_export_store
from network.access_log import access_log_write
from network.models import AccessAction
from questionnaires.library_fhir import (
    FhirImportError,
    Parsed,
    questionnaire_parse,
    response_resources,
)
from questionnaires.library_selectors import questionnaire_parsed, questionnaire_with_definition
from questionnaires.models import (
    AnswerOption,
    Condition,
    Cutoff,
    Item,
    Questionnaire,
    Response,
    ScoringRule,
)
from questionnaires.scoring import Definition, answers_check, score


class ClientKeyReused(ValueError):
    """A form's key that already stored a response about another patient or questionnaire."""


INSTRUMENTS_DIR = Path(__file__).with_name("instruments")


def instrument_resource(slug: str) -> dict:
    """The shipped instrument ``slug`` (``phq-9``, ``gad-7``, ``mrc-dyspnoe``, ``gfi``) as JSON."""
    return json.loads((INSTRUMENTS_DIR / f"{slug}.json").read_text(encoding="utf-8"))


def instrument_slugs() -> list[str]:
    return sorted(path.stem for path in INSTRUMENTS_DIR.glob("*.json"))


def _write_definition(questionnaire: Questionnaire, definition: Definition) -> None:
    questionnaire.items.all().delete()
    questionnaire.rules.all().delete()
    for order, item_def in enumerate(definition.items, 1):
        item = Item.objects.create(
            questionnaire=questionnaire,
            link_id=item_def.link_id,
            order=order,
            text=item_def.text,
            type=item_def.type,
            required=item_def.required,
            scored=item_def.scored,
            reverse=item_def.reverse,
            subscale=item_def.subscale,
            min_value=item_def.min_value,
            max_value=item_def.max_value,
            enable_behavior=item_def.enable_behavior,
            code=item_def.code,
        )
        AnswerOption.objects.bulk_create(
            AnswerOption(
                item=item,
                order=n,
                system=o.system,
                code=o.code,
                display=o.display,
                value=o.value,
            )
            for n, o in enumerate(item_def.options, 1)
        )
        Condition.objects.bulk_create(
            Condition(item=item, question=c.question, operator=c.operator, answer=c.answer)
            for c in item_def.conditions
        )
    for order, rule_def in enumerate(definition.rules, 1):
        rule = ScoringRule.objects.create(
            questionnaire=questionnaire,
            order=order,
            code=rule_def.code,
            label=rule_def.label,
            method=rule_def.method,
            subscale=rule_def.subscale,
            min_answered=rule_def.min_answered,
            decimals=rule_def.decimals,
            loinc_code=rule_def.loinc_code,
        )
        Cutoff.objects.bulk_create(
            Cutoff(rule=rule, minimum=c.minimum, interpretation=c.interpretation, flagged=c.flagged)
            for c in rule_def.cutoffs
        )


@transaction.atomic
def questionnaire_import(*, resource) -> tuple[Questionnaire, bool]:
    """Keep the FHIR Questionnaire ``resource`` in the library; (questionnaire, changed).

    Raises :class:`FhirImportError` (a Dutch message) for JSON that is not a usable
    Questionnaire, or that would change a questionnaire already answered.
    """
    parsed = questionnaire_parse(resource)
    existing = (
        questionnaire_with_definition(Questionnaire.objects.select_for_update())
        .filter(slug=parsed.slug, version=parsed.version)
        .first()
    )
    if existing is not None:
        if questionnaire_parsed(existing) == parsed:
            return existing, False
        if existing.responses.exists():
            raise FhirImportError(
                _(
                    "Version %(version)s of %(title)s has been answered already; "
                    "import the change as a new version."
                )
                % {"version": parsed.version, "title": existing.title}
            )
    questionnaire = existing or Questionnaire(slug=parsed.slug, version=parsed.version)
    _apply(questionnaire, parsed)
    return questionnaire, True


def _apply(questionnaire: Questionnaire, parsed: Parsed) -> None:
    questionnaire.title = parsed.title
    questionnaire.description = parsed.description
    questionnaire.url = parsed.url
    questionnaire.copyright = parsed.copyright
    questionnaire.status = parsed.status
    questionnaire.loinc_code = parsed.loinc_code
    questionnaire.full_clean()
    questionnaire.save()
    _write_definition(questionnaire, parsed.definition)


def instruments_load() -> list[tuple[Questionnaire, bool]]:
    """Load every shipped instrument (idempotent: an unchanged one is left alone)."""
    return [questionnaire_import(resource=instrument_resource(slug)) for slug in instrument_slugs()]


@transaction.atomic
def response_store(
    *,
    questionnaire: Questionnaire,
    patient,
    definition: Definition,
    answers: dict,
    client_key,
    source: str,
    author=None,
    organisation=None,
) -> tuple[Response, bool]:
    """Store a filled-in questionnaire about ``patient`` with its scores; (response, created).

    ``answers`` must have passed :func:`~questionnaires.scoring.answers_check` (the view shows
    its errors and stores nothing). Idempotent: ``client_key`` is unique, so a resent form
    returns the response stored the first time. The caller logs the write (NEN 7513).
    """
    existing = Response.objects.filter(client_key=client_key).first()
    if existing is not None:
        if (existing.patient_id, existing.questionnaire_id) != (patient.pk, questionnaire.pk):
            raise ClientKeyReused
        return existing, False
    checked = answers_check(definition, answers)
    if checked.errors:
        raise ValueError(f"answers not checked: {checked.errors}")
    scores = score(definition, checked.answers)
    main = scores[0] if scores else None
    response = Response(
        questionnaire=questionnaire,
        patient=patient,
        source=source,
        author=author,
        organisation=organisation,
        client_key=client_key,
        answers=checked.answers,
        scores=[s.as_json() for s in scores],
        score=main.value if main else None,
        interpretation=main.interpretation if main else "",
        flagged=any(s.flagged for s in scores),
        submitted_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:  # the same key, stored by a concurrent request a moment ago
        return Response.objects.get(client_key=client_key), False
    return response, True


def response_submit(
    *,
    actor,
    access,
    questionnaire: Questionnaire,
    definition: Definition,
    answers: dict,
    client_key,
) -> Response:
    """Store a professional's filled-in questionnaire about ``access.patient`` (see
    :func:`response_store`); the change is logged under the actor's true relationship."""
    response, created = response_store(
        questionnaire=questionnaire,
        patient=access.patient,
        definition=definition,
        answers=answers,
        client_key=client_key,
        source=Response.Source.PROFESSIONAL,
        author=actor.user,
        organisation=actor.organisation,
    )
    if created:
        access_log_write(
            actor=actor,
            action=AccessAction.CREATE,
            relationship=access.relationship,
            patient=access.patient,
            data=["questionnaires"],
            object_ref=f"questionnaire-response:{response.pk}",
        )
    return response


# --- export to the HIS ---------------------------------------------------------------------------


def response_note_build(response: Response) -> str:
    """The journal note for the HIS (the SOEP "O" line): what was filled in, the scores."""
    lines = [
        f"Vragenlijst {response.questionnaire.title}, "
        f"ingevuld {timezone.localtime(response.submitted_at):%d-%m-%Y %H:%M} "
        + (
            "door de patiënt"
            if response.source == Response.Source.PATIENT_LINK
            else f"door {response.author.get_full_name() if response.author else 'onbekend'}"
        )
        + " (Regiozorg)."
    ]
    for stored in response.scores:
        if stored.get("value") is None:
            continue
        flag = " — boven de grens" if stored.get("flagged") else ""
        lines.append(f"O: {stored['label']}: {stored['value']} ({stored['interpretation']}){flag}")
    return "\n".join(lines) + "\n"


def response_bundle(*, response: Response, definition: Definition) -> dict:
    """The response as a FHIR R4 transaction Bundle: the patient and the practice (created
    when the receiver does not know them), the QuestionnaireResponse and its score
    Observations (updated in place when sent again). Validated before it leaves."""
    patient = response.patient
    practice = patient.practice
    patient_fhir = patient_resource(patient, his_number=True)
    match = patient_fhir["identifier"][0]
    if match["system"] != BSN_SYSTEM:
        match = own_identifier(patient.uuid)
    patient_ref = {"reference": f"urn:uuid:{patient.uuid}", "display": patient.formal_name}
    author_ref = None
    if response.author is not None:
        author_ref = {"display": response.author.get_full_name()}
    resources = response_resources(
        response=response, definition=definition, patient_ref=patient_ref, author_ref=author_ref
    )
    entries = [
        conditional_create(patient_fhir, f"urn:uuid:{patient.uuid}", match=match),
        conditional_create(
            organization_resource(practice),
            f"urn:uuid:{practice.uuid}",
            match=organization_match(practice),
        ),
    ]
    for resource in resources:
        identifier = resource["identifier"]
        first = identifier if isinstance(identifier, dict) else identifier[0]
        full_url = (
            f"urn:uuid:{response.uuid}"
            if resource["resourceType"] == "QuestionnaireResponse"
            else f"urn:uuid:{uuid.uuid5(response.uuid, 'url:' + first['value'])}"
        )
        entries.append(conditional_update(resource, full_url, match=first))
    content = json.dumps(entries, sort_keys=True, ensure_ascii=False).encode()
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(response.uuid, "Bundle:" + hashlib.sha256(content).hexdigest())),
        "type": "transaction",
        "entry": entries,
    }
    Bundle.model_validate(bundle)
    return bundle


def response_his_export_create(*, actor, access, response: Response, definition: Definition):
    """Store an export of the response for the practice's HIS and queue its delivery
    (``his.services``: logged as an export). The caller checked the actor is the patient's own
    practice. Unchanged and waiting or delivered: that export again (a double click sends one)."""
    bundle = response_bundle(response=response, definition=definition)
    latest = his_export_unchanged(model=Response, pk=response.pk, resource_id=bundle["id"])
    if latest is not None:
        return latest
    return his_export_store(
        actor=actor,
        source=response,
        patient=access.patient,
        key=uuid.uuid4(),
        note=response_note_build(response),
        resource=bundle,
        icpc_code="",
        data="questionnaires",
    )
