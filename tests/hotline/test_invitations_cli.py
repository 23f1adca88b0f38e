"""`hotline invitations import|list|send|letters`: a campaign week's first steps from the command line."""
from __future__ import annotations

from sqlalchemy import select

from shared_db.models import Invitation, Notification
from tests import builders as b

LIST = """institution,name,date_of_birth,group,mobile,email
Pflegeheim Sonnenhof,Maria Pflegerin,17.05.1980,1,0151 1234 5678,
Pflegeheim Sonnenhof,Hans Hausmeister,1975-02-03,1,,hans@example.org
Pflegeheim Sonnenhof,Gerda Gärtner,1969-11-30,1,,
"""


def test_import_send_and_letters(app, pg_sessions, tmp_path):
    from hotline.cli import invitations_import, invitations_letters, invitations_list, invitations_send

    with pg_sessions.begin() as s:
        b.vaccine(s)  # the priority groups
    good, bad = tmp_path / "sonnenhof.csv", tmp_path / "bad.csv"
    good.write_text(LIST, encoding="utf-8")
    bad.write_text(LIST + "Pflegeheim Sonnenhof,Otto Ohnedatum,,1,,\n", encoding="utf-8")
    runner = app.test_cli_runner()
    rejected = runner.invoke(invitations_import, [str(bad)])
    assert rejected.exit_code == 1 and "line 5: date_of_birth" in rejected.output
    assert runner.invoke(invitations_import, [str(good)]).output.strip() == "3 added, 0 updated, 0 unchanged"
    assert runner.invoke(invitations_import, [str(good)]).output.strip() == "0 added, 0 updated, 3 unchanged"
    sent = runner.invoke(invitations_send, ["Pflegeheim Sonnenhof"])
    assert "1 SMS, 1 e-mails queued; 1 need a letter" in sent.output, sent.output
    letters = runner.invoke(invitations_letters, ["Pflegeheim Sonnenhof"]).output
    assert "Gerda Gärtner" in letters and "Maria" not in letters and "Einladungscode" in letters
    assert "3 listed, 3 sent, 0 used, 3 unused, 0 letters due" in runner.invoke(invitations_list, []).output
    with pg_sessions.begin() as s:
        codes = dict(s.execute(select(Invitation.name, Invitation.code)).all())
        rows = {n.channel: n for n in s.scalars(select(Notification))}
        assert set(rows) == {"sms", "email"}
        assert f"{codes['Maria Pflegerin'][:4]} {codes['Maria Pflegerin'][4:]}" in rows["sms"].body
        assert rows["email"].to_email == "hans@example.org" and rows["email"].to_number == ""
        assert f"{codes['Gerda Gärtner'][:4]} {codes['Gerda Gärtner'][4:]}" in letters
    again = runner.invoke(invitations_send, ["Pflegeheim Sonnenhof"])
    assert "0 SMS, 0 e-mails queued; 0 need a letter" in again.output
