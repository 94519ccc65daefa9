"""The questionnaire library as FHIR R4: Questionnaire import and export, QuestionnaireResponse.

A Questionnaire is read into a :class:`Parsed` (its metadata and a scoring
:class:`~questionnaires.scoring.Definition`) and written from one, so the shipped instruments,
a helpdesk import and an export all pass through the same two functions.

What FHIR has no element for is carried in extensions: an answer option's score in the core
``ordinalValue`` extension; an item's ``minValue`` / ``maxValue`` in the core extensions; whether
an item counts, is reverse scored and its subscale, and the scoring rules with their cut-offs,
in Regiozorg's own extensions (:data:`EXT`). Unknown extensions are ignored on import.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.text import slugify
from django.utils.translation import gettext as _

from his.fhir import own_identifier
from questionnaires.scoring import (
    Condition,
    Cutoff,
    Definition,
    ItemDef,
    Option,
    Rule,
    enabled_items,
)

ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
EXT = "https://regiozorg.nl/fhir/StructureDefinition/"
SCORED = EXT + "questionnaire-item-scored"
REVERSE = EXT + "questionnaire-item-reverse"
SUBSCALE = EXT + "questionnaire-item-subscale"
RULE = EXT + "questionnaire-scoring-rule"
LOINC = "http://loinc.org"

_TYPES = {"choice", "integer", "decimal", "string", "text", "boolean", "display"}
_OPERATORS = {"=", "!=", ">", "<", ">=", "<=", "exists"}
_ANSWER_KEYS = (
    "answerCoding",
    "answerInteger",
    "answerDecimal",
    "answerBoolean",
    "answerString",
)


class FhirImportError(ValueError):
    """The JSON is not a Questionnaire we can keep; the message is Dutch and names the place."""


@dataclass(frozen=True)
class Parsed:
    slug: str
    version: str
    title: str
    description: str
    url: str
    copyright: str
    status: str
    loinc_code: str
    definition: Definition


# --- helpers ----------------------------------------------------------------------------------


def _ext(element: dict, url: str):
    return next((e for e in element.get("extension") or [] if e.get("url") == url), None)


def _ext_value(element: dict, url: str, default=None):
    found = _ext(element, url)
    if found is None:
        return default
    return next((v for k, v in found.items() if k.startswith("value")), default)


def _decimal(value, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise FhirImportError(_("%(where)s: not a number.") % {"where": where}) from None


def _fhir_number(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def _loinc(codings) -> str:
    return next((c.get("code", "") for c in codings or [] if c.get("system") == LOINC), "")


# --- import -----------------------------------------------------------------------------------


def _condition(raw: dict, where: str) -> Condition:
    operator = raw.get("operator")
    if operator not in _OPERATORS or not raw.get("question"):
        raise FhirImportError(
            _("%(where)s: enableWhen without question or operator.") % {"where": where}
        )
    key = next((k for k in raw if k.startswith("answer")), None)
    if key is None:
        raise FhirImportError(_("%(where)s: enableWhen without answer.") % {"where": where})
    value = raw[key]
    if key == "answerCoding":
        value = value.get("code", "")
    elif key == "answerBoolean":
        value = "true" if value else "false"
    return Condition(question=raw["question"], operator=operator, answer=str(value))


def _item(raw: dict, where: str) -> ItemDef:
    link_id = raw.get("linkId")
    kind = raw.get("type")
    if not link_id or kind not in _TYPES:
        raise FhirImportError(
            _("%(where)s: every question needs a linkId and a known type.") % {"where": where}
        )
    if raw.get("item"):
        raise FhirImportError(
            _("%(where)s: nested questions are not supported.") % {"where": where}
        )
    where = f"{where} ({link_id})"
    options = []
    for option in raw.get("answerOption") or []:
        coding = option.get("valueCoding")
        if not coding or not coding.get("code"):
            raise FhirImportError(
                _("%(where)s: an answer option needs a valueCoding.") % {"where": where}
            )
        value = _ext_value(coding, ORDINAL, _ext_value(option, ORDINAL))
        options.append(
            Option(
                code=coding["code"],
                display=coding.get("display", coding["code"]),
                value=None if value is None else _decimal(value, where),
                system=coding.get("system", ""),
            )
        )
    if kind == "choice" and not options:
        raise FhirImportError(
            _("%(where)s: a choice question needs answer options.") % {"where": where}
        )
    minimum, maximum = _ext_value(raw, MIN_VALUE), _ext_value(raw, MAX_VALUE)
    answerable = kind != "display"
    return ItemDef(
        link_id=link_id,
        text=raw.get("text", ""),
        type="string" if kind == "text" else kind,
        required=bool(raw.get("required", False)),
        scored=bool(_ext_value(raw, SCORED, answerable and kind != "string")),
        reverse=bool(_ext_value(raw, REVERSE, False)),
        subscale=_ext_value(raw, SUBSCALE, "") or "",
        options=tuple(options),
        conditions=tuple(_condition(c, where) for c in raw.get("enableWhen") or []),
        enable_behavior=raw.get("enableBehavior", "all"),
        min_value=None if minimum is None else _decimal(minimum, where),
        max_value=None if maximum is None else _decimal(maximum, where),
        code=_loinc(raw.get("code")),
    )


def _rule(raw: dict, where: str) -> Rule:
    parts: dict = {}
    cutoffs = []
    for part in raw.get("extension") or []:
        name = part.get("url")
        if name == "cutoff":
            cutoffs.append(
                Cutoff(
                    minimum=_decimal(_ext_value(part, "minimum"), where),
                    interpretation=_ext_value(part, "interpretation", ""),
                    flagged=bool(_ext_value(part, "flagged", False)),
                )
            )
        else:
            parts[name] = next((v for k, v in part.items() if k.startswith("value")), None)
    if not parts.get("code") or parts.get("method", "sum") not in ("sum", "mean"):
        raise FhirImportError(
            _("%(where)s: a scoring rule needs a code and sum or mean.") % {"where": where}
        )
    return Rule(
        code=parts["code"],
        label=parts.get("label") or parts["code"],
        method=parts.get("method", "sum"),
        subscale=parts.get("subscale", "") or "",
        min_answered=parts.get("minAnswered"),
        decimals=int(parts.get("decimals") or 0),
        cutoffs=tuple(sorted(cutoffs, key=lambda c: c.minimum)),
        loinc_code=parts.get("loinc", "") or "",
    )


def questionnaire_parse(resource) -> Parsed:
    """Read a FHIR R4 Questionnaire (a dict from JSON); :class:`FhirImportError` when it is not
    one we can keep (the message says where)."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
        raise FhirImportError(_("This is not a FHIR Questionnaire."))
    slug = resource.get("name") or resource.get("id") or ""
    if not slug or not resource.get("title"):
        raise FhirImportError(_("The questionnaire needs a name and a title."))
    items = [
        _item(raw, _("question %(n)s") % {"n": n})
        for n, raw in enumerate(resource.get("item") or [], 1)
    ]
    if not items:
        raise FhirImportError(_("The questionnaire has no questions."))
    link_ids = [i.link_id for i in items]
    if len(set(link_ids)) != len(link_ids):
        raise FhirImportError(_("Two questions have the same linkId."))
    for item in items:
        for condition in item.conditions:
            if condition.question not in link_ids[: link_ids.index(item.link_id)]:
                raise FhirImportError(
                    _("Question %(item)s depends on %(question)s, not an earlier question.")
                    % {"item": item.link_id, "question": condition.question}
                )
    rules = [
        _rule(raw, _("scoring rule %(n)s") % {"n": n})
        for n, raw in enumerate(
            [e for e in resource.get("extension") or [] if e.get("url") == RULE], 1
        )
    ]
    return Parsed(
        slug=_slugify(slug),
        version=str(resource.get("version") or "1"),
        title=resource["title"],
        description=resource.get("description", ""),
        url=resource.get("url", ""),
        copyright=resource.get("copyright", ""),
        status="retired" if resource.get("status") == "retired" else "active",
        loinc_code=_loinc(resource.get("code")),
        definition=Definition(items=tuple(items), rules=tuple(rules)),
    )


def _slugify(name: str) -> str:
    return slugify(name)[:60] or "vragenlijst"


# --- export -----------------------------------------------------------------------------------


def _item_json(item: ItemDef) -> dict:
    data: dict = {"linkId": item.link_id}
    if item.code:
        data["code"] = [{"system": LOINC, "code": item.code}]
    data["text"] = item.text
    data["type"] = item.type
    extensions = []
    if item.min_value is not None:
        extensions.append({"url": MIN_VALUE, _value_key(item): _typed(item, item.min_value)})
    if item.max_value is not None:
        extensions.append({"url": MAX_VALUE, _value_key(item): _typed(item, item.max_value)})
    if item.answerable:
        extensions.append({"url": SCORED, "valueBoolean": item.scored})
    if item.reverse:
        extensions.append({"url": REVERSE, "valueBoolean": True})
    if item.subscale:
        extensions.append({"url": SUBSCALE, "valueString": item.subscale})
    if extensions:
        data["extension"] = extensions
    if item.answerable:
        data["required"] = item.required
    if item.conditions:
        data["enableWhen"] = [_condition_json(item, c) for c in item.conditions]
        if len(item.conditions) > 1:
            data["enableBehavior"] = item.enable_behavior
    if item.options:
        data["answerOption"] = [_option_json(o) for o in item.options]
    return data


def _value_key(item: ItemDef) -> str:
    return "valueInteger" if item.type == "integer" else "valueDecimal"


def _typed(item: ItemDef, value: Decimal):
    return int(value) if item.type == "integer" else _fhir_number(value)


def _option_json(option: Option) -> dict:
    coding: dict = {}
    if option.system:
        coding["system"] = option.system
    coding["code"] = option.code
    coding["display"] = option.display
    if option.value is not None:
        coding["extension"] = [{"url": ORDINAL, "valueDecimal": _fhir_number(option.value)}]
    return {"valueCoding": coding}


def _condition_json(item: ItemDef, condition: Condition) -> dict:
    data = {"question": condition.question, "operator": condition.operator}
    if condition.operator == "exists":
        data["answerBoolean"] = condition.answer.lower() == "true"
        return data
    answer = condition.answer
    if answer.lower() in ("true", "false"):
        data["answerBoolean"] = answer.lower() == "true"
        return data
    try:
        number = Decimal(answer)
    except InvalidOperation:
        number = None
    if number is not None and condition.operator not in ("=", "!="):
        data["answerDecimal"] = _fhir_number(number)
    else:
        data["answerCoding"] = {"code": answer}
    return data


def _rule_json(rule: Rule) -> dict:
    parts: list[dict] = [
        {"url": "code", "valueCode": rule.code},
        {"url": "label", "valueString": rule.label},
        {"url": "method", "valueCode": rule.method},
    ]
    if rule.subscale:
        parts.append({"url": "subscale", "valueString": rule.subscale})
    if rule.min_answered is not None:
        parts.append({"url": "minAnswered", "valueInteger": rule.min_answered})
    if rule.decimals:
        parts.append({"url": "decimals", "valueInteger": rule.decimals})
    if rule.loinc_code:
        parts.append({"url": "loinc", "valueCode": rule.loinc_code})
    for cutoff in rule.cutoffs:
        parts.append(
            {
                "url": "cutoff",
                "extension": [
                    {"url": "minimum", "valueDecimal": _fhir_number(cutoff.minimum)},
                    {"url": "interpretation", "valueString": cutoff.interpretation},
                    {"url": "flagged", "valueBoolean": cutoff.flagged},
                ],
            }
        )
    return {"url": RULE, "extension": parts}


def questionnaire_build(parsed: Parsed) -> dict:
    """The FHIR R4 Questionnaire for ``parsed`` (what :func:`questionnaire_parse` reads back)."""
    resource: dict = {"resourceType": "Questionnaire", "id": parsed.slug}
    if parsed.definition.rules:
        resource["extension"] = [_rule_json(r) for r in parsed.definition.rules]
    if parsed.url:
        resource["url"] = parsed.url
    resource["version"] = parsed.version
    resource["name"] = parsed.slug
    resource["title"] = parsed.title
    resource["status"] = "retired" if parsed.status == "retired" else "active"
    if parsed.description:
        resource["description"] = parsed.description
    if parsed.copyright:
        resource["copyright"] = parsed.copyright
    if parsed.loinc_code:
        resource["code"] = [{"system": LOINC, "code": parsed.loinc_code}]
    resource["item"] = [_item_json(i) for i in parsed.definition.items]
    return resource


# --- a response, for the HIS: QuestionnaireResponse + an Observation per score -------------------

UCUM = "http://unitsofmeasure.org"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def _answer_json(item: ItemDef, value) -> dict | None:
    if item.type == "choice":
        option = item.option(value)
        if option is None:
            return None
        coding = {"code": option.code, "display": option.display}
        if option.system:
            coding = {"system": option.system, **coding}
        return {"valueCoding": coding}
    if item.type == "integer":
        return {"valueInteger": int(value)}
    if item.type == "decimal":
        return {"valueDecimal": float(Decimal(str(value)))}
    if item.type == "boolean":
        return {"valueBoolean": bool(value)}
    return {"valueString": str(value)}


def response_resources(
    *, response, definition: Definition, patient_ref: dict, author_ref: dict | None
) -> list[dict]:
    """The QuestionnaireResponse of ``response`` and an Observation per score (LOINC where the
    instrument has one, else the score's name as text), the score's interpretation as text and,
    over the cut-off, flagged abnormal (``A``). Identified by this installation's identifiers
    (the response's UUID; per score a UUID derived from it), so a second export updates them."""
    questionnaire = response.questionnaire
    authored = response.submitted_at.isoformat(timespec="seconds")
    items = []
    for item in enabled_items(definition, response.answers):
        if item.link_id not in response.answers:
            continue
        answer = _answer_json(item, response.answers[item.link_id])
        if answer is not None:
            items.append({"linkId": item.link_id, "text": item.text, "answer": [answer]})
    qr: dict = {
        "resourceType": "QuestionnaireResponse",
        "identifier": own_identifier(response.uuid),
        "status": "completed",
        "subject": patient_ref,
        "authored": authored,
    }
    if questionnaire.url:
        qr["questionnaire"] = f"{questionnaire.url}|{questionnaire.version}"
    if author_ref:
        qr["author"] = author_ref
    elif response.source == "patient_link":
        qr["source"] = patient_ref
    qr["item"] = items
    resources = [qr]
    qr_ref = {
        "reference": f"urn:uuid:{response.uuid}",
        "display": questionnaire.title,
    }
    for stored in response.scores:
        if stored.get("value") is None:
            continue
        value = Decimal(stored["value"])
        rule = next((r for r in definition.rules if r.code == stored["code"]), None)
        code: dict = {"text": f"{questionnaire.title}: {stored['label']}"}
        if rule is not None and rule.loinc_code:
            code["coding"] = [{"system": LOINC, "code": rule.loinc_code}]
        observation: dict = {
            "resourceType": "Observation",
            "identifier": [own_identifier(uuid.uuid5(response.uuid, stored["code"]))],
            "status": "final",
            "category": [
                {
                    "coding": [
                        {"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}
                    ]
                }
            ],
            "code": code,
            "subject": patient_ref,
            "effectiveDateTime": authored,
            "valueQuantity": {
                "value": _fhir_number(value),
                "unit": "score",
                "system": UCUM,
                "code": "{score}",
            },
            "derivedFrom": [qr_ref],
        }
        if stored.get("interpretation"):
            interpretation: dict = {"text": stored["interpretation"]}
            if stored.get("flagged"):
                interpretation["coding"] = [
                    {"system": INTERPRETATION, "code": "A", "display": "Abnormal"}
                ]
            observation["interpretation"] = [interpretation]
        resources.append(observation)
    return resources
