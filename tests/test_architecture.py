"""The floors hold: in the imports (import-linter's contract in ``.importlinter``), in the
migration graph, and in module size. README "Architecture" draws the same picture."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from django.db.migrations.loader import MigrationLoader

REPO = Path(__file__).resolve().parent.parent

# Floor of each app of ours (README "Architecture"). Same floor: only referrals → conversations.
FLOORS = {
    "accounts": 1,
    "network": 2,
    "files": 3,
    "his": 3,
    "conversations": 4,
    "careplans": 4,
    "questionnaires": 4,
    "meetings": 4,
    "referrals": 4,
    "regiozorg": 5,
}
SAME_FLOOR_ALLOWED = {("referrals", "conversations")}
# Two dependencies of migrations applied before issue 12 go against the floors, and together
# with the history they make two loops (accounts <-> network, conversations <-> referrals). An
# applied migration is never edited, and a squash cannot drop them (Django gives a squashed
# migration the dependencies of every step it replaces), so they stay until a release after
# every database has passed issue 12 resets the history. Nothing new may join them.
BEFORE_THE_FLOORS = {
    ("accounts", "0002_accountrequest_invitation_staffchange_and_more", "network"),
    ("conversations", "0005_his_export_of_feedback", "referrals"),
}
MAX_MODULE_LINES = 600


def _cross_app_migration_edges() -> set[tuple[str, str, str]]:
    """(app, migration, app it depends on) for every dependency between two of our apps, in
    the graph Django builds for a new database (squashed migrations replace what they squash)."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    edges = set()
    for (app, name), node in graph.node_map.items():
        for parent in node.parents:
            other = parent.key[0]
            if app in FLOORS and other in FLOORS and other != app:
                edges.add((app, name, other))
    return edges


def _against_the_floors(edges) -> set[tuple[str, str, str]]:
    return {
        (app, name, other)
        for app, name, other in edges
        if not (
            FLOORS[other] < FLOORS[app]
            or (FLOORS[other] == FLOORS[app] and (app, other) in SAME_FLOOR_ALLOWED)
        )
    }


def test_migrations_only_depend_on_lower_floors():
    """Every migration since issue 12 depends only on floors below its app's."""
    assert _against_the_floors(_cross_app_migration_edges()) == BEFORE_THE_FLOORS


def test_migration_graph_between_apps_has_no_loop_but_the_two_from_before_the_floors():
    depends: dict[str, set[str]] = {}
    for app, name, other in _cross_app_migration_edges():
        if (app, name, other) not in BEFORE_THE_FLOORS:
            depends.setdefault(app, set()).add(other)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in depends.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    assert [app for app in depends if reaches(app, app, set())] == []


def test_import_floors_contract_is_kept():
    """``lint-imports`` (also its own CI step): imports inside functions count too."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_module_over_600_lines_outside_migrations_and_tests():
    skip = {".venv", ".tools", "node_modules", "migrations", "tests", "static"}
    too_long = {
        str(path.relative_to(REPO)): lines
        for path in REPO.rglob("*.py")
        if not skip.intersection(path.relative_to(REPO).parts)
        and (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}
