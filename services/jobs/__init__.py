"""Background jobs on rq: importable functions taking plain ids, each opening its own session.

- sending.py   send_notification(id), sweep_outbox(); the outbox sends itself after each commit
- periodic.py  sweep_holds, release_phone_quota, send_reminders, purge_nightly
- notifier.py  Twilio (SMS / voice call) or log backend
- worker.py    `hotline worker`: rq worker, rq scheduler, periodic jobs on rq's cron
Without REDIS_URL the jobs run on an in-process runner thread (services/queueing.py).
"""

# Every process that runs jobs writes outbox rows too: importing the jobs registers the outbox's
# send-after-commit hook, whether or not the app factory ran.
from services.jobs import sending  # noqa: E402,F401
