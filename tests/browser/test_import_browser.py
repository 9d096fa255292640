"""The import page in a real browser: upload a semicolon file, read the preview, import the valid rows,
watch the progress bar reach 100% and the result appear."""
import csv
import io
import re

from playwright.sync_api import Page, expect

from clubcrm.extensions import db
from clubcrm.models import Member

PASSWORD = "secret-pass"
ROWS = 4000


def spreadsheet(path) -> None:
    """ROWS members as a Finnish Excel saves them (semicolons, latin-1), every 100th with a bad phone."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Etunimi", "Sukunimi", "Puhelin", "Syntymäaika", "Tekstiviestilupa"])
    for i in range(ROWS):
        phone = "12" if i % 100 == 99 else f"040 {5000000 + i:07d}"
        writer.writerow([f"Päivi{i}", f"Hämäläinen{i}", phone, f"{1 + i % 28}.{1 + i % 12}.1980", "kyllä"])
    path.write_bytes(out.getvalue().encode("cp1252"))


def test_upload_preview_and_import_with_a_progress_bar(page: Page, make, tmp_path):
    email = make.staff("manager").email
    path = tmp_path / "jasenet.csv"
    spreadsheet(path)
    bad = ROWS // 100

    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.locator("#nav-import").click()
    expect(page).to_have_url(re.compile(r"/imports/$"))

    page.get_by_label("Spreadsheet (CSV)").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()
    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    expect(page.locator("#file-facts")).to_have_text(f"{ROWS} rows, encoding cp1252, separated by semicolon.")
    expect(page.locator("#valid-count")).to_have_text(str(ROWS - bad))
    expect(page.locator("#refused-count")).to_have_text(str(bad))
    expect(page.get_by_label("Puhelin")).to_have_value("phone")
    expect(page.get_by_label("Syntymäaika")).to_have_value("birth_date")
    expect(page.locator("#preview-rows tbody tr").first).to_contain_text("Päivi0")
    expect(page.locator("#preview-rows tbody tr").first).to_contain_text("+358 40 5000000")
    expect(page.locator("#refused tbody tr").first).to_contain_text("This is not a valid phone number.")

    page.get_by_label("Import the valid rows").check()
    page.locator("#import-button").click()
    expect(page.locator("#progress")).to_have_attribute("value", "100", timeout=60_000)
    # 100% is the check's end; the rows' INSERT and commit come after it, seconds on a loaded machine.
    expect(page.locator("#result-done")).to_be_visible(timeout=60_000)
    expect(page.locator("#imported-count")).to_have_text(str(ROWS - bad))
    expect(page.locator("#refused-result")).to_have_text(str(bad))
    with page.expect_download() as download:
        page.locator("#report-link").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert len(list(csv.reader(text.splitlines()))) == bad + 1
    db.session.commit()
    assert db.session.query(Member).filter(Member.source == "import").count() == ROWS - bad
