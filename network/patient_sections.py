"""Sections that apps above network add to the patient page, without network knowing them.

An app registers a function in its ``AppConfig.ready()``; the patient page calls each in order
of registration with the actor and their (already logged) access. A function returns the
section to show — a template and the data it gets as ``data`` — or None to show nothing. Each
function reads through its own app's access rules and runs a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PatientSection:
    template: str
    data: Any


SectionFunction = Callable[..., PatientSection | None]
_sections: list[SectionFunction] = []


def patient_section_register(function: SectionFunction) -> None:
    """Add ``function(*, actor, access) -> PatientSection | None`` to the patient page
    (once: registering it again changes nothing)."""
    if function not in _sections:
        _sections.append(function)


def patient_sections_for(*, actor, access) -> list[PatientSection]:
    """The sections to show on this patient's overview, in order of registration."""
    sections = (function(actor=actor, access=access) for function in _sections)
    return [section for section in sections if section is not None]


# --- The patient header: warnings beside the name and tabs, from apps above network ---------


@dataclass(frozen=True)
class PatientHeaderItem:
    """What an app adds to the patient header: warning badges (short texts, shown beside the
    name on every tab) and a tab (label, URL name taking the patient's pk, its key)."""

    badges: tuple[str, ...] = ()
    tab: tuple[str, str, str] | None = None


HeaderFunction = Callable[..., PatientHeaderItem | None]
_header: list[HeaderFunction] = []


def patient_header_register(function: HeaderFunction) -> None:
    """Add ``function(*, actor, access) -> PatientHeaderItem | None`` to the patient header
    (once). It reads through its own app's access rules, in a fixed number of queries."""
    if function not in _header:
        _header.append(function)


def patient_header_for(*, actor, access) -> list[PatientHeaderItem]:
    items = (function(actor=actor, access=access) for function in _header)
    return [item for item in items if item is not None]
