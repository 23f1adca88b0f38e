"""The `hotline` command line: one entry point for operators."""
from __future__ import annotations

import functools
import secrets
import subprocess
import sys

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo

from hotline import create_app
from shared_db import clock
from shared_db.session import make_engine, make_sessionmaker, migrate, transaction
from shared_db.types import utcnow


def _create_app() -> Flask:
    """The app for commands; a missing secret is a one-line message, not a traceback."""
    try:
        return create_app()
    except RuntimeError as exc:
        hint = "or run `hotline demo` once, which generates one for the embedded setup"
        raise click.UsageError(f"{exc} ({hint})") from None


def _given_app_or_new() -> Flask:
    """The app Flask's test CLI runner hands in (`app.test_cli_runner()`), else one built from the environment."""
    given = click.get_current_context().find_object(ScriptInfo)
    return given.load_app() if given is not None else _create_app()


class HotlineGroup(click.Group):
    """hotline's own commands (no Flask options): each runs inside the app's context unless it says not to."""

    group_class = type  # sub-groups (users, api-keys) behave the same

    def command(self, *args, with_appcontext: bool = True, **kwargs):
        """Register a command; `with_appcontext=False` for those that build their own app or none."""
        register = super().command(*args, **kwargs)
        if not with_appcontext:
            return register
        return lambda func: register(_in_app_context(func))

def _in_app_context(func):
    """Run `func` inside the active app's context (tests), or the app built from the environment."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        if has_app_context():
            return func(*args, **kwargs)
        with _given_app_or_new().app_context():
            return func(*args, **kwargs)

    return run


@click.group(cls=HotlineGroup)
@click.version_option(package_name="hotline", prog_name="hotline")
def main() -> None:
    """Vaccination hotline: IVR, agent console, online API and jobs."""


def _sessions():
    return make_sessionmaker(make_engine(current_app.config["DATABASE_URL"]))


@main.command("migrate")
def migrate_command() -> None:
    """Bring the database schema up to date (Alembic)."""
    migrate(current_app.config["DATABASE_URL"])
    click.echo("database is up to date")


@main.command("seed-demo")
@click.option("--days", default=14, show_default=True, help="days of first-dose slots")
def seed_demo_command(days: int) -> None:
    """Load demo centres, slots, campaign and console users into an empty database."""
    from shared_db.operations.demo import seed_demo

    with transaction(_sessions()) as session:
        counts = seed_demo(session, clock.today(), days=days, appointments=True)
    click.echo(f"demo data loaded: {counts['centres']} centres, {counts['slots']} slots, "
               f"{counts['appointments']} appointments yesterday and today")


@main.command("import-slots")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def import_slots_command(csv_file) -> None:
    """Import slots from CSV: all rows are checked first; any bad row rejects the whole file."""
    from shared_db.ledger.slot_import import ImportRejected, import_report

    def progress(rows):
        with click.progressbar(rows, label="checking rows", file=sys.stderr) as bar:
            yield from bar

    try:
        with transaction(_sessions()) as session:
            result = import_report(session, csv_file, progress)
    except ImportRejected as rejected:
        click.echo(f"file rejected, nothing imported:\n{rejected}", err=True)
        sys.exit(1)
    click.echo(f"imported {result.count} slots")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@main.command("purge")
@click.option("--dry-run", is_flag=True, help="only count what would be deleted")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="the day to purge as (needs --dry-run "
              "for a day after today)")
@click.option("--rules", "show_rules", is_flag=True, help="print the retention catalogue and stop")
def purge_command(dry_run: bool, as_of, show_rules: bool) -> None:
    """Delete personal data past its retention period, rule by rule (counts only are kept)."""
    from shared_db.operations.retention import purge, purge_moment
    from shared_db.operations.retention_catalogue import table_rows

    if show_rules:
        for name, columns, when in table_rows():
            click.echo(f"{name}: {when}\n    {columns}")
        return
    day = as_of.date() if as_of else clock.today()
    if day > clock.today() and not dry_run:
        raise click.UsageError("a day after today can only be looked at with --dry-run")
    with transaction(_sessions()) as session:
        report = purge(session, now=purge_moment(day) if as_of else None, as_of=day, dry_run=dry_run,
                       after_appointment_days=current_app.config["POLICY"].completed_retention_days)
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} as of {day.isoformat()}: {report.people} people, {report.notifications} messages, "
               f"{report.call_sessions} call logs; {report.bookings} bookings anonymised")
    click.echo("by rule: " + ", ".join(f"{name} {count}" for name, count in report.rules.items()))


@main.command("worker")
@click.option("--burst", is_flag=True, help="work until the queue is empty, then stop (no periodic jobs)")
def worker_command(burst: bool) -> None:
    """Run the rq worker with rq's scheduler and the periodic jobs (needs REDIS_URL)."""
    from services.jobs.worker import run_worker

    if not current_app.config["REDIS_URL"]:
        raise click.UsageError("REDIS_URL is not set: without Redis, jobs run in-process after each commit")
    run_worker(current_app.config["REDIS_URL"], burst=burst)


@main.command("sweep")
def sweep_command() -> None:
    """Run the periodic jobs once, here (hold sweep, outbox, phone quota, reminders): for setups without Redis."""
    from services.jobs.worker import periodic_jobs

    for func, _timing in periodic_jobs():
        if func.__name__ != "purge_nightly":  # the purge has its own command
            click.echo(f"{func.__name__}: {func()}")


@main.command("outbox")
@click.option("--failed", "show_failed", is_flag=True, help="list messages that finally failed")
def outbox_command(show_failed: bool) -> None:
    """Count outgoing messages by state; with --failed, list the failures (numbers masked)."""
    from shared_db.messages import outbox
    from shared_db.people import mask_phone

    with transaction(_sessions()) as session:
        click.echo(", ".join(f"{k}: {v}" for k, v in sorted(outbox.counts_by_status(session).items())) or "empty")
        for row in outbox.failed_notifications(session) if show_failed else []:
            click.echo(f"#{row.id} {row.kind} {row.channel} to {mask_phone(row.to_number)}: {row.last_error}")


@main.command("check")
def check_command() -> None:
    """Check that every pool's counter matches the bookings holding it."""
    from shared_db.ledger.checks import ledger_problems

    with transaction(_sessions()) as session:
        problems = ledger_problems(session)
    for problem in problems:
        click.echo(problem)
    click.echo("ledger consistent" if not problems else f"{len(problems)} problems")
    sys.exit(1 if problems else 0)


@main.group("invitations")
def invitations_group() -> None:
    """Institutions' invitation lists: import, send the personal codes, letters for people without a phone."""


@invitations_group.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def invitations_import(csv_file) -> None:
    """Import a list (institution,name,date_of_birth,group[,mobile][,email]); a bad row rejects the whole file."""
    from sqlalchemy import select

    from shared_db.ledger.slot_import import ImportRejected
    from shared_db.models import PriorityGroup
    from shared_db.people.invitations import import_list, read_list

    try:
        with transaction(_sessions()) as session:
            rows = read_list(csv_file, list(session.scalars(select(PriorityGroup.number))), clock.today())
            result = import_list(session, rows, "cli")
    except ImportRejected as rejected:
        click.echo(f"file rejected, nothing imported:\n{rejected}", err=True)
        sys.exit(1)
    click.echo(f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged")


@invitations_group.command("list")
def invitations_list() -> None:
    """Each institution's list: listed, sent, used, unused, letters still to print."""
    from shared_db.people.invitations import list_states

    with transaction(_sessions()) as session:
        for state in list_states(session):
            click.echo(f"{state.institution}: {state.listed} listed, {state.sent} sent, {state.used} used, "
                       f"{state.unused} unused, {state.letters_due} letters due")


@invitations_group.command("send")
@click.argument("institution")
def invitations_send(institution: str) -> None:
    """Send each listed person not yet invited their code: SMS to a mobile, else e-mail (through the outbox)."""
    from shared_db.messages.invitations import send_invitations

    with transaction(_sessions()) as session:
        counts = send_invitations(session, institution, current_app.config["POLICY"].hotline_number, "cli")
    click.echo(f"{counts['sms']} SMS, {counts['email']} e-mails queued; {counts['letter_due']} need a letter "
               f"(hotline invitations letters)")


@invitations_group.command("letters")
@click.argument("institution")
@click.option("--out", "out", type=click.File("w", encoding="utf-8"), default="-", help="CSV file (default: stdout)")
def invitations_letters(institution: str, out) -> None:
    """Letters (CSV, one per row) for listed people with neither a mobile number nor an e-mail address."""
    from shared_db.messages.invitations import letters_csv

    with transaction(_sessions()) as session:
        out.write(letters_csv(session, institution, current_app.config["POLICY"].hotline_number, "cli"))


@main.group("users")
def users_group() -> None:
    """Console accounts."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["agent", "supervisor", "admin", "centre"]), default="agent",
              show_default=True)
@click.option("--name", "display_name", help="name shown in the console")
@click.option("--phone", help="the agent's phone, for click-to-call")
@click.option("--centre", "centre_id", type=int, help="centre id of centre staff (role centre)")
@click.password_option()
def users_add(username: str, role: str, display_name: str | None, phone: str | None, centre_id: int | None,
              password: str) -> None:
    """Create a console account."""
    from shared_db.access.accounts import add_user
    from shared_db.errors import InvalidInput

    try:
        with transaction(_sessions()) as session:
            add_user(session, username, password, role, display_name, phone, centre_id)
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"user {username} ({role}) created")


@main.command("call")
@click.option("--url", help="a running hotline (default: the app in-process)")
@click.option("--public-url", help="the URL Twilio signs against (default: --url, or HOTLINE_PUBLIC_URL)")
@click.option("--from", "from_number", default="+49521123456", show_default=True, help="the caller's number")
@click.option("--token", help="auth token to sign with (default: TWILIO_AUTH_TOKEN)")
@click.option("--script", "script", type=click.File("r", encoding="utf-8"), help="run a scripted call")
def call_command(url, public_url, from_number, token, script) -> None:
    """Place a simulated, signed call to the IVR: interactive, or --script FILE (exit 1 on a mismatch)."""
    from ivr import simulator

    token = token or current_app.config.get("TWILIO_AUTH_TOKEN")
    if not token:
        raise click.UsageError("no auth token: set TWILIO_AUTH_TOKEN or pass --token")
    post = simulator.http_transport(url) if url else simulator.flask_transport(current_app.test_client())
    base = (public_url or url or current_app.config["HOTLINE_PUBLIC_URL"]).rstrip("/")
    call = simulator.Call(post, base, token, from_number=from_number)
    try:
        if script is not None:
            problems = simulator.run_script(call, simulator.parse_script(script.read()), click.echo)
            click.echo("script passed" if not problems else "\n".join(problems), err=bool(problems))
            sys.exit(1 if problems else 0)
        simulator.interactive(call, click.echo, click.prompt)
    except simulator.CallError as exc:
        click.echo(f"call failed: {exc}", err=True)
        sys.exit(2)


@main.group("api-keys")
def api_keys_group() -> None:
    """API keys of online portal clients."""


@api_keys_group.command("add")
@click.argument("name")
def api_keys_add(name: str) -> None:
    """Create a client and print its key once; only a hash is stored."""
    from shared_db.access.api_clients import create_client
    from shared_db.errors import InvalidInput

    try:
        with transaction(_sessions()) as session:
            client, key = create_client(session, name)
            prefix = client.key_prefix
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"API client {name} created (key prefix {prefix}). Its key, shown only now:")
    click.echo(key)


@api_keys_group.command("revoke")
@click.argument("name_or_prefix")
def api_keys_revoke(name_or_prefix: str) -> None:
    """Revoke a client's key at once (by client name or key prefix)."""
    from shared_db.access.api_clients import revoke
    from shared_db.errors import InvalidInput

    try:
        with transaction(_sessions()) as session:
            client = revoke(session, name_or_prefix)
            name = client.name
    except InvalidInput as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"API client {name} revoked")


@api_keys_group.command("list")
def api_keys_list() -> None:
    """Show clients with key prefix and state (never the keys)."""
    from shared_db.access.api_clients import list_clients

    with transaction(_sessions()) as session:
        for c in list_clients(session):
            state = "active" if c.active else f"revoked {c.revoked_at:%Y-%m-%d %H:%M}"
            click.echo(f"{c.id:>4}  {c.key_prefix}  {c.name}  ({state})")


@main.command("bench", with_appcontext=False)
@click.argument("names", nargs=-1)
@click.option("--size", type=click.Choice(["smoke", "full"]), default="smoke", show_default=True)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="override a size parameter")
def bench_command(names: tuple[str, ...], size: str, overrides: tuple[str, ...]) -> None:
    """Run benchmarks (all, or those named); print figures and write JSON to bench/results/."""
    # A process of its own: the benchmarks drive the whole app from above, so the root does not import them.
    command = [sys.executable, "-m", "bench", *names, "--size", size]
    for override in overrides:
        command += ["--set", override]
    sys.exit(subprocess.call(command))


@main.command("demo", with_appcontext=False)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-serve", is_flag=True, help="prepare the database and stop")
def demo_command(port: int, no_serve: bool) -> None:
    """Run the whole hotline on its embedded defaults: SQLite, in-process jobs, demo data."""
    _embedded_defaults(port)
    app = create_app()
    migrate(app.config["DATABASE_URL"])
    from shared_db.models import Centre
    from shared_db.operations.demo import DEMO_PASSWORDS, seed_demo
    from shared_db.operations.demo_day import BusyDay

    with transaction(make_sessionmaker(make_engine(app.config["DATABASE_URL"]))) as session:
        if session.query(Centre.id).first() is None:
            seed_demo(session, clock.today(), appointments=True)
            BusyDay(session, utcnow()).seed()  # a lived-in day: bookings, callers, callbacks, fill tasks
    _print_demo_banner(app, port, DEMO_PASSWORDS, _demo_invitation())
    if not no_serve:
        _serve_embedded(app, port)


def _serve_embedded(app: Flask, port: int) -> None:
    """Serve the app with its periodic jobs on a thread beside it (without Redis there is no worker)."""
    from werkzeug.serving import run_simple

    if not app.config["REDIS_URL"]:
        from services.jobs.embedded import EmbeddedCron
        from services.jobs.worker import periodic_jobs

        EmbeddedCron(periodic_jobs()).start()
    run_simple("127.0.0.1", port, app, use_reloader=False, threaded=True)


def _embedded_defaults(port: int) -> None:
    """Settings for a laptop, kept in instance/hotline.env so every later `hotline` command there uses them.

    The secret is generated per install (never a built-in default); messages are logged, not sent.
    """
    from hotline.config import EMBEDDED_ENV_FILE, instance_dir, read_env_file

    instance = instance_dir()
    instance.mkdir(parents=True, exist_ok=True)
    env_file = instance / EMBEDDED_ENV_FILE
    settings = {"SECRET_KEY": secrets.token_hex(32), "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                "TWILIO_AUTH_TOKEN": secrets.token_hex(16), "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "NOTIFY_BACKEND": "log", "SESSION_COOKIE_SECURE": "false", "TWILIO_STANDIN": "true"}
    settings |= read_env_file(env_file)  # keep what an earlier run generated
    env_file.write_text("# written by `hotline demo`: the embedded setup's settings\n"
                        + "".join(f"{key}={value}\n" for key, value in settings.items()))
    env_file.chmod(0o600)


def _demo_invitation() -> str:
    """One invited person of the demo list, to try a code with."""
    from shared_db.operations.demo import DEMO_INSTITUTION, DEMO_INVITED, demo_code

    name, born, body, _ = DEMO_INVITED[0]
    return f"{name}, born {born:%d.%m.%Y}, code {demo_code(body)} ({DEMO_INSTITUTION})"


def _print_demo_banner(app, port: int, passwords: dict, invited: str = "") -> None:
    base = app.config["HOTLINE_PUBLIC_URL"]
    jobs = "rq" if app.config["REDIS_URL"] else "in-process"
    twilio = "in-process stand-in (nothing rings)" if app.config.get("TWILIO_STANDIN") else "api.twilio.com"
    click.echo(f"""
hotline demo on {base}  (database: {app.config['DATABASE_URL']}, jobs: {jobs})
  Twilio voice webhook   POST {base}/ivr/voice   (status: /ivr/status, fallback: /ivr/fallback)
  simulated call         hotline call --url {base}
  start page             {base}/
  agent console          {base}/console/   agent / {passwords['agent']}   supervisor / {passwords['supervisor']}
  check-in (Bielefeld)   {base}/console/centre   centre / {passwords['centre']}
  Twilio (console calls) {twilio}
  online portal API      {base}/api/v1/openapi.json   (a key: hotline api-keys add NAME)
  an invitation to try   {invited}
  health                 {base}/healthz  {base}/readyz  {base}/metrics
""")


if __name__ == "__main__":
    main()
