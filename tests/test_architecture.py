"""The code's shape: clubcrm/ holds no views and reads no request, time comes from the clock."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_REQUEST_READERS = {"clubcrm/i18n.py", "clubcrm/app.py"}


def python_files(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_core_does_not_touch_the_request():
    offenders = []
    for path in python_files("clubcrm"):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED_REQUEST_READERS:
            continue
        bad = {n for n in imported_names(path) if n in ("flask.request", "flask.session", "flask.g")}
        if bad:
            offenders.append(f"{rel}: {sorted(bad)}")
    assert offenders == []


def test_core_does_not_import_blueprints():
    offenders = [path.relative_to(ROOT).as_posix() for path in python_files("clubcrm")
                 if path.name != "app.py" and any(n.startswith("blueprints") for n in imported_names(path))]
    assert offenders == []


def test_only_the_clock_reads_the_time():
    offenders = []
    for folder in ("clubcrm", "blueprints"):
        for path in python_files(folder):
            text = path.read_text()
            if path.name != "clock.py" and any(s in text for s in ("datetime.now(", "datetime.utcnow(",
                                                                   "date.today(", "time.time(")):
                offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []
