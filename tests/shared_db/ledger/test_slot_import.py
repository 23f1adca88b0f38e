"""CSV slot import: one bad row rejects the whole file with its line number."""
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from shared_db.ledger.slot_import import ImportRejected, import_slots
from shared_db.models import Slot
from tests import builders as b

REPO = Path(__file__).resolve().parents[3]

HEADER = "centre,vaccine,date,time,dose,phone_capacity,online_capacity,duration_minutes\n"


def setup_centre(sessions):
    with sessions.begin() as s:
        b.vaccine(s)
        return b.centre(s, name="Impfzentrum Bielefeld")


def test_good_file_imports_every_row(sessions):
    setup_centre(sessions)
    csv_text = HEADER + ("Impfzentrum Bielefeld,BNT,2021-04-06,14:30,first,2,8,15\n"
                         "Impfzentrum Bielefeld,BNT,2021-04-27,14:30,second,2,8,\n")
    with sessions.begin() as s:
        assert import_slots(s, io.StringIO(csv_text)) == 2
    with sessions.begin() as s:
        slot = s.scalar(select(Slot).order_by(Slot.starts_at))
        assert slot.starts_at.hour == 12  # 14:30 in Berlin summer time is 12:30 UTC
        assert (slot.phone_capacity, slot.online_capacity) == (2, 8)
        assert (slot.starts_at - slot.phone_release_at).total_seconds() == 48 * 3600


def test_bad_rows_reject_the_whole_file_with_line_numbers(sessions):
    setup_centre(sessions)
    csv_text = HEADER + ("Impfzentrum Bielefeld,BNT,2021-04-06,14:30,first,2,8,15\n"
                         "Impfzentrum Nirgendwo,BNT,2021-04-06,14:30,first,2,8,15\n"
                         "Impfzentrum Bielefeld,BNT,2021-04-31,14:30,first,2,8,15\n"
                         "Impfzentrum Bielefeld,BNT,2021-04-06,14:30,first,2,8,15\n"
                         "Impfzentrum Bielefeld,BNT,2021-04-07,09:00,third,2,x,15\n")
    with pytest.raises(ImportRejected) as rejected, sessions.begin() as s:
        import_slots(s, io.StringIO(csv_text))
    assert [line for line, _ in rejected.value.errors] == [3, 4, 5, 6]
    assert "Nirgendwo" in str(rejected.value)
    with sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Slot)) == 0


def test_missing_columns_are_named(sessions):
    setup_centre(sessions)
    with pytest.raises(ImportRejected) as rejected, sessions.begin() as s:
        import_slots(s, io.StringIO("centre,vaccine\nA,B\n"))
    assert "date" in str(rejected.value)


def test_cli_rejects_a_bad_file_with_exit_code_1(tmp_path, sqlite_url):
    bad = tmp_path / "slots.csv"
    bad.write_text(HEADER + "Nowhere,BNT,2021-04-06,14:30,first,2,8,15\n")
    env = {"DATABASE_URL": sqlite_url, "SECRET_KEY": "x", "TWILIO_AUTH_TOKEN": "y", "PATH": "/usr/bin:/bin",
           "HOTLINE_INSTANCE_DIR": str(tmp_path),
           "PYTHONPATH": str(REPO)}  # this checkout's code, also where the installed package is another worktree
    result = subprocess.run([sys.executable, "-m", "hotline.cli", "import-slots", str(bad)],
                            capture_output=True, text=True, env=env, cwd=str(tmp_path.parent))
    assert result.returncode == 1, result.stderr
    assert "line 2" in result.stderr and "nothing imported" in result.stderr


def test_first_doses_without_second_dose_capacity_are_warned_per_centre_and_vaccine(sessions):
    from shared_db.ledger.slot_import import import_report

    with sessions.begin() as s:
        b.vaccine(s, "AZ")
    setup_centre(sessions)
    # AZ: second dose 63 to 84 days later. 6 April fits 8 June (day 63) and 29 June (day 84), not 30 June (85).
    csv_text = HEADER + ("Impfzentrum Bielefeld,AZ,2021-04-06,09:00,first,2,8,15\n"
                         "Impfzentrum Bielefeld,AZ,2021-04-07,09:00,first,1,4,15\n"
                         "Impfzentrum Bielefeld,AZ,2021-04-08,09:00,first,1,4,15\n"
                         "Impfzentrum Bielefeld,AZ,2021-06-30,09:00,second,2,8,15\n"
                         "Impfzentrum Bielefeld,BNT,2021-04-06,09:00,first,2,8,15\n")
    with sessions.begin() as s:
        result = import_report(s, io.StringIO(csv_text))
    assert result.count == 5
    # 6 April has no second place in 8..29 June; 7 April's window ends 30 June (fits); BNT has none either.
    assert result.warnings == [
        "Impfzentrum Bielefeld, AZ: 1 first-dose slots (10 doses) have no second-dose place 63 to 84 days later "
        "and will not be offered",
        "Impfzentrum Bielefeld, BNT: 1 first-dose slots (10 doses) have no second-dose place 21 to 42 days later "
        "and will not be offered"]


def test_rows_above_the_weeks_delivery_reject_the_file(sessions):
    from shared_db.ledger import changes

    with sessions.begin() as s:
        v = b.vaccine(s)
        c = b.centre(s, name="Impfzentrum Bielefeld")
        changes.record_delivery(s, centre_id=c.id, vaccine_id=v.id, week=date(2021, 4, 5), doses=15,
                                status="expected", actor="agent:9")
    csv_text = HEADER + ("Impfzentrum Bielefeld,BNT,2021-04-06,09:00,first,2,8,15\n"  # 10 of 15
                         "Impfzentrum Bielefeld,BNT,2021-04-11,09:00,first,1,4,15\n"  # 15 of 15, the last day
                         "Impfzentrum Bielefeld,BNT,2021-04-12,09:00,first,2,8,15\n"  # next week: no delivery
                         "Impfzentrum Bielefeld,BNT,2021-04-11,10:00,first,0,1,15\n")  # 16 of 15
    with pytest.raises(ImportRejected) as rejected, sessions.begin() as s:
        import_slots(s, io.StringIO(csv_text))
    assert [line for line, _ in rejected.value.errors] == [5]
    assert "16 doses" in str(rejected.value) and "15 are expected" in str(rejected.value)
