"""The import graph of src/portal and jobs/ (DESIGN, Layout): imports run only downward, from a feature to
the features below it and to the shared floors, never sideways or back up, and no module imports itself
through others (a cycle). Type-only imports count too: they tie modules together just the same."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FLOORS: dict[str, int] = {
    # The shared floors, lowest first. A unit may import units of lower floors only (and itself).
    "setting_checks": -1,  # pure checks of single settings' values, beneath the settings that use them
    "i18n": 0,  # languages and messages: everything below the web speaks them too
    "settings": 0,
    "banking": 1,
    "clock": 1,  # the one "now": configured from the settings, below everything else
    "viewer": 2,
    "db": 2,
    "audit": 3,
    "templating": 3,
    "infra": 4,
    "notifications": 5,
    "web": 6,
    # The features: bills ← payment_documents ← payments; bills ← downloads; everything ← the home page.
    "bills": 10,
    "payment_documents": 11,
    "downloads": 11,
    "payments": 12,
    "imports": 12,  # the billing system's records: bills, payment documents, the download's batching
    "accounts": 13,
    "site": 13,
    "demo": 13,
    # What puts it all together.
    "app": 20,
    "jobs": 20,
    "dev_stack": 20,  # `portal run`'s child processes
    "cli": 21,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT / "src" if "src" in path.parts else ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    """Every module but the generated migrations and the empty top-level package."""
    paths = [*(ROOT / "src" / "portal").rglob("*.py"), *(ROOT / "jobs").rglob("*.py")]
    modules = {_module_name(path): path for path in paths if "migrations" not in path.parts}
    modules.pop("portal")
    return modules


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `name` imports (``from portal.x import y`` counts as portal.x.y when y is
    a module, as portal.x otherwise)."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
            ]
        else:
            continue
        found.update(target for target in targets if target in known and target != name)
    return found


def _unit(module: str) -> str:
    """The floor a module stands on: its feature or shared package (``portal.bills.pdf`` → bills)."""
    parts = module.split(".")
    return parts[0] if parts[0] == "jobs" else parts[1]


MODULES = _modules()
GRAPH = {name: _imports(name, path, set(MODULES)) for name, path in MODULES.items()}


def test_every_unit_has_a_floor() -> None:
    assert {_unit(module) for module in GRAPH} - set(FLOORS) == set()


def test_imports_run_only_downward() -> None:
    upward = sorted(
        f"{module} → {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if _unit(target) != _unit(module) and FLOORS[_unit(target)] >= FLOORS[_unit(module)]
    )
    assert upward == []


def test_no_import_cycle() -> None:
    cycles: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH[module]):
            if state.get(target) == "open":
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_no_module_is_over_500_lines() -> None:
    sizes = {module: len(path.read_text().splitlines()) for module, path in MODULES.items()}
    assert {module: lines for module, lines in sizes.items() if lines > 500} == {}
