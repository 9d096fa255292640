"""Files holding personal data are readable by the app's account only: uploads, backups and import reports are
0600 in 0700 folders, whatever the umask (a common 022 made uploads world-readable)."""
import os
from pathlib import Path

import pytest

from clubcrm import backup
from clubcrm.imports import jobs
from clubcrm.private_files import write_private
from tests.test_import_http import job_id_of, upload


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def usual_umask():
    """The umask most accounts have (022: files world-readable unless the app says otherwise)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_uploads_are_private(usual_umask, web, login_as, app):
    folder = jobs.upload_folder(app)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)   # as an older version left it
    login_as("manager")
    job_id = job_id_of(upload(web, b"Vorname;Handy\nAnna;040 1234567\n"))
    stored = jobs.stored_file(folder, job_id)
    assert (mode(stored), mode(folder)) == (0o600, 0o700)


def test_backups_are_private(usual_umask, app, ctx, tmp_path):
    default = backup.backup()
    try:
        assert (mode(default), mode(default.parent)) == (0o600, 0o700)
    finally:
        default.unlink()
    mine = tmp_path / "mine"
    mine.mkdir()
    mine.chmod(0o755)
    chosen = backup.backup(mine / "new" / "folder" / "clubcrm.backup")
    assert (mode(chosen), mode(chosen.parent), mode(chosen.parent.parent)) == (0o600, 0o700, 0o700)
    assert mode(mine) == 0o755   # a folder that existed is the user's: left as it was
    assert [p.name for p in chosen.parent.iterdir()] == ["clubcrm.backup"]   # no temporary file left


def test_import_reports_of_the_cli_are_private(usual_umask, runner, make, tmp_path):
    assert make.default_club.id
    path = tmp_path / "members.csv"
    path.write_bytes(b"Vorname;Handy\nAnna;040 1234567\nBo;12\n")
    report = tmp_path / "report.csv"
    result = runner.invoke(args=["import", "members", str(path), "--dry-run", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert mode(report) == 0o600 and "Bo" not in report.read_text(encoding="utf-8-sig")
    assert "This is not a valid phone number." in report.read_text(encoding="utf-8-sig")


def test_a_private_file_is_written_whole_or_not_at_all(usual_umask, tmp_path):
    target = tmp_path / "data.bin"
    write_private(target, b"x" * 100)
    assert target.read_bytes() == b"x" * 100 and mode(target) == 0o600

    with pytest.raises(TypeError):
        write_private(tmp_path / "broken.bin", "not bytes")   # fails mid-write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin"]


def _race_for_the_secret(path: str, value: str) -> str:
    from clubcrm.private_files import private_once

    return private_once(Path(path), lambda: value.encode()).decode()


def test_a_secret_made_once_is_the_same_for_every_process_and_private(usual_umask, tmp_path):
    """Gunicorn's workers start together: each must read the one key that landed, never a key of its own."""
    from concurrent.futures import ProcessPoolExecutor

    target = tmp_path / "instance" / "secret_key"
    with ProcessPoolExecutor(6) as pool:
        seen = list(pool.map(_race_for_the_secret, [str(target)] * 12, [f"key-{i}" for i in range(12)]))
    assert len(set(seen)) == 1 and target.read_text() == seen[0]
    assert mode(target) == 0o600 and mode(target.parent) == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["secret_key"]   # no temporary file left
