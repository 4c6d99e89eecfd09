"""The ledgers open where the offices open them: LibreOffice Calc (headless) converts the
demo data's month ledger to CSV with every row and the formula-like text as text.
``.ci/run`` installs Debian's libreoffice-calc-nogui; without ``soffice`` this is skipped."""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.test import Client

from tasks.models import Assignment, Checklist, ProgressReport
from tests.filing import time_travel

SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice is not installed: apt-get install libreoffice-calc-nogui"
)
def test_libreoffice_opens_the_demo_month_ledger(
    client: Client, demo_street: Checklist, tmp_path: Path
) -> None:
    checklist_2017 = demo_street
    with time_travel(2017, 11, 10):
        ProgressReport.objects.filter(year=2017, month=10).update(narrative="=1+1 见台账")
        client.force_login(User.objects.get(username="admin"))
        response = client.get("/ledger/month/", {"year": "2017", "month": "10"})
    assert response.status_code == 200
    workbook = tmp_path / "ledger.xlsx"
    workbook.write_bytes(
        b"".join(response.streaming_content)
        if isinstance(response, StreamingHttpResponse)
        else response.content
    )

    assert SOFFICE is not None  # the test is skipped without it
    subprocess.run(  # noqa: S603 (our own file, a fixed command)
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with (tmp_path / "ledger.csv").open(encoding="utf-8") as converted:
        rows = list(csv.reader(converted))
    header, body = rows[0], [row for row in rows[1:] if any(row)]
    assert "任务内容" in header and "流程状态" in header
    assert len(body) == Assignment.objects.filter(item__checklist=checklist_2017).count()
    narratives = {row[header.index("进展情况")] for row in body}
    # The neutralised formula is text in Calc too: shown with its apostrophe, not computed.
    assert "'=1+1 见台账" in narratives and "2" not in narratives
