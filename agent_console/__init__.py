"""agent_console: placeholder until its issue lands; registers nothing yet."""
from flask import Flask


def init_app(app: Flask) -> None:
    """Register this part's routes on the app."""
