"""Background jobs on rq: importable functions taking plain ids, each opening its own session.

- sending.py   send_notification(id), sweep_outbox(), notify(session, booking, kind)
- periodic.py  sweep_holds, release_phone_quota, send_reminders, purge_nightly
- notifier.py  Twilio (SMS / voice call) or log backend
- worker.py    `hotline worker`: rq worker, rq scheduler, periodic jobs on rq's cron
Without REDIS_URL the jobs run in-process right after the commit (hotline/queueing.py).
"""

from services.jobs.sending import notify, send_notification, sweep_outbox  # noqa: E402,F401  (used by ivr, console, api)
