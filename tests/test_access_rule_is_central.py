"""One place decides access: a grep over the code keeps it that way.

Views, consumers, tasks, forms and template tags never query patient data themselves; they ask
``network.access`` (directly or through a selector). Selectors that read patient data take the
``PatientAccess`` or ``Actor`` that the access module handed out, so they cannot be called for a
patient nobody checked.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "accounts",
    "network",
    "regiozorg",
    "conversations",
    "referrals",
    "careplans",
    "questionnaires",
    "meetings",
]
PATIENT_DATA_MODELS = [
    "Patient",
    "Episode",
    "Medication",
    "ContraIndication",
    "Measurement",
    "CareNetworkMember",
    "AccessLogEntry",
]
DIRECT_QUERY = re.compile(
    r"\b(" + "|".join(PATIENT_DATA_MODELS) + r")\.(objects|_default_manager|_base_manager)\b"
)
EDGE_MODULES = re.compile(r"(views|consumers|tasks|forms|urls|admin\w*)\.py$|/views/|templatetags/")
# Writes re-read rows under a lock after access was decided; the import creates patients.
MAY_QUERY_PATIENT = {"network/access.py", "network/access_log.py"}
MAY_QUERY_PREFIXES = ("network/services/", "network/migrations/")


def _python_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text()


def test_no_view_consumer_task_or_form_queries_patient_data_directly():
    offenders = [
        f"{name}:{number}: {line.strip()}"
        for name, text in _python_files()
        if EDGE_MODULES.search(name)
        for number, line in enumerate(text.splitlines(), 1)
        if DIRECT_QUERY.search(line)
    ]
    assert offenders == [], "ask network.access (or a selector) instead:\n" + "\n".join(offenders)


def test_patient_queryset_is_only_built_in_the_access_module_and_services():
    offenders = [
        f"{name}:{number}: {line.strip()}"
        for name, text in _python_files()
        if name not in MAY_QUERY_PATIENT and not name.startswith(MAY_QUERY_PREFIXES)
        for number, line in enumerate(text.splitlines(), 1)
        if re.search(r"\bPatient\.(objects|_default_manager|_base_manager)\b", line)
    ]
    assert offenders == [], "use network.access.patients_visible_to:\n" + "\n".join(offenders)


def _selector_modules():
    import importlib

    for name, _text in _python_files():
        if name.endswith("selectors.py"):
            yield importlib.import_module(name[:-3].replace("/", "."))


@pytest.mark.parametrize("module", list(_selector_modules()), ids=lambda m: m.__name__)
def test_selectors_reading_patient_data_take_the_access_they_were_given(module):
    missing = []
    for name, function in inspect.getmembers(module, inspect.isfunction):
        if function.__module__ != module.__name__:
            continue
        tree = ast.parse(inspect.getsource(function))
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        if used & set(PATIENT_DATA_MODELS):
            parameters = inspect.signature(function).parameters
            if not {"access", "actor"} & set(parameters):
                missing.append(name)
    assert missing == [], f"these selectors read patient data without access/actor: {missing}"


def test_the_grep_finds_a_direct_query_when_there_is_one():
    # The rule must be able to fail: a made-up view line is caught.
    assert DIRECT_QUERY.search("    patient = Patient.objects.get(pk=pk)")
    assert EDGE_MODULES.search("referrals/views.py")
    assert EDGE_MODULES.search("network/views/patients.py")
