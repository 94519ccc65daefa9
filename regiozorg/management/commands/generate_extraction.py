"""Write a synthetic HIS extraction (FHIR R4 Bundle, JSON) for demos and benchmarks."""

import re
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tools.extraction import dumps_bundle, generate_bundle, resource_counts

# How the summary names each resource type, in Dutch.
_LABELS = {
    "Patient": ("patiënt", "patiënten"),
    "Condition": ("episode", "episodes"),
    "MedicationStatement": ("medicatieregel", "medicatieregels"),
    "AllergyIntolerance": ("allergie/contra-indicatie", "allergieën/contra-indicaties"),
    "Observation": ("meting", "metingen"),
}


def _decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _size(n_bytes: int) -> str:
    """A file size the Dutch way: 312,4 kB, 38,9 MB."""
    if n_bytes < 1000:
        return f"{n_bytes} bytes"
    if n_bytes < 1_000_000:
        return f"{_decimal(n_bytes / 1000)} kB"
    return f"{_decimal(n_bytes / 1_000_000)} MB"


def summary(counts: dict[str, int], n_bytes: int, target: str, seconds: float) -> str:
    """One line: what was written where, per resource type, with size and time taken."""
    parts = []
    for kind, count in counts.items():
        singular, plural = _LABELS.get(kind, (kind, kind))
        parts.append(f"{count} {singular if count == 1 else plural}")
    return (
        f"Extractie geschreven naar {target}: {', '.join(parts)} "
        f"({sum(counts.values())} resources, {_size(n_bytes)}, {_decimal(seconds)} s)."
    )


class Command(BaseCommand):
    help = (
        "Generate a synthetic HIS extraction (FHIR R4 Bundle, JSON) with fictional patients. "
        "The same arguments always give the same file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True, help="number of patients")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--practice-agb", required=True, help="AGB code of the GP practice (8 digits)"
        )
        parser.add_argument(
            "--id-prefix", default="", help='prefix of HIS patient numbers, e.g. "terp-"'
        )
        parser.add_argument("--out", required=True, help='output file, or "-" for stdout')

    def handle(self, *args, **options):
        agb = options["practice_agb"]
        if not re.fullmatch(r"\d{8}", agb):
            raise CommandError("--practice-agb must be an AGB code of exactly 8 digits.")
        if options["patients"] < 0:
            raise CommandError("--patients must not be negative.")
        started = time.perf_counter()
        try:
            bundle = generate_bundle(
                patients=options["patients"],
                seed=options["seed"],
                practice_agb=agb,
                id_prefix=options["id_prefix"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        text = dumps_bundle(bundle)
        data = text.encode("utf-8")
        out = options["out"]
        if out == "-":  # the bundle on stdout, the summary on stderr
            buffer = getattr(self.stdout, "buffer", None)  # bytes, so UTF-8 whatever the locale
            if buffer is not None:
                self.stdout.flush()
                buffer.write(data)
                buffer.flush()
            else:
                self.stdout.write(text, ending="")
            report, target = self.stderr, "stdout"
        else:
            path = Path(out)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            report, target = self.stdout, str(path)
        seconds = time.perf_counter() - started
        report.write(summary(resource_counts(bundle), len(data), target, seconds))
