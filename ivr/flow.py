"""The phone tree as data: one table of states with their prompts, options and transitions.

A target is a state name, or "@action" / "@action:arg" naming a step in
ivr/steps.py that does the database work and returns the next target.
Prompts are catalogue keys; "key?flag" is said only when the value `flag` is set
(the second dose of a one-dose vaccine, the SMS note for landlines).
Changing the tree means editing NODES; `*` (repeat) and `0` (agent) work in every menu.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    """A menu choice: the prompt names it before its key ("to book, press 1")."""

    key: str
    prompt: str
    target: str
    speech: str = ""  # words group in the catalogue that also selects it ("yes", "no", ...)
    when: str = ""  # condition that must hold to offer it, see steps.CONDITIONS
    lang: str = ""  # say this option in its own language (language menu)


@dataclass(frozen=True)
class Node:
    """One state. kind: menu (one key), entry (digits or speech), queue (to agents), hangup."""

    kind: str
    prompts: tuple[str, ...]
    options: tuple[Option, ...] = ()
    handler: str = ""  # entry: step that takes the input
    digits: int | None = None  # entry: fixed length; None means "finish with #"
    speech: bool = True  # accept speech as well as keys
    timeout_target: str = ""  # where silence leads instead of a reprompt
    record: bool = False  # record the caller's voice (the name, for agents to check)


def _yes_no(yes: str, no: str) -> tuple[Option, ...]:
    return (Option("1", "opt_yes", yes, "yes"), Option("2", "opt_no", no, "no"))


def _right_retry(right: str, retry: str, retry_prompt: str = "opt_retry") -> tuple[Option, ...]:
    return (Option("1", "opt_right", right, "yes"), Option("2", retry_prompt, retry, "no"))


MAIN = Option("9", "opt_main", "main")
AGENT = Option("0", "opt_agent_talk", "@agent", "agent")
GOODBYE = Option("3", "opt_goodbye", "goodbye")

NODES: dict[str, Node] = {
    "language": Node("menu", ("welcome",), (
        Option("1", "opt_lang_de", "@language:de", lang="de"),
        Option("2", "opt_lang_en", "@language:en", lang="en"),
        Option("3", "opt_lang_tr", "@language:tr", lang="tr"),
    ), timeout_target="@language:de", speech=False),
    "main": Node("menu", ("main",), (
        Option("1", "opt_book", "@start_booking"),
        Option("2", "opt_manage", "code"),
        Option("3", "opt_callback", "@callback"),
        Option("0", "opt_agent", "@agent", "agent"),
    ) , speech=True),
    # --- booking: who, eligible?, where, when, name
    "dob": Node("entry", ("ask_dob",), handler="dob", digits=8),
    "dob_confirm": Node("menu", ("dob_readback",), _right_retry("@assess", "dob")),
    "q_care_home": Node("menu", ("q_care_home",), _yes_no("@answer:care_home:yes", "@answer:care_home:no")),
    "q_occupation": Node("menu", ("q_occupation",), _yes_no("@answer:occupation:yes", "@answer:occupation:no")),
    "q_condition": Node("menu", ("q_condition",), _yes_no("@answer:condition:yes", "@answer:condition:no")),
    # Silence, or # alone, means "no code".
    "q_invitation": Node("entry", ("q_invitation",), handler="invitation", digits=None, speech=False,
                         timeout_target="@answer:invitation:no"),
    "not_yet": Node("menu", ("not_yet",), (
        Option("1", "opt_sms_open", "@notify:sms", when="mobile"),
        Option("2", "opt_callback_open", "@notify:callback", when="has_number"),
        MAIN,
    )),
    "not_eligible": Node("menu", ("not_eligible",), (Option("1", "opt_agent_talk", "@agent", "agent"), MAIN)),
    "centre_suggest": Node("menu", ("centre_suggest",), (
        Option("1", "opt_use_centre", "@use_suggested", "yes"),
        Option("2", "opt_postcode", "postcode", "no"),
    )),
    "postcode": Node("entry", ("ask_postcode",), handler="postcode", digits=5),
    "offer": Node("menu", ("offer", "vaccine_named?vaccine", "offer_second?second", "offer_held"), (
        Option("1", "opt_take", "name", "yes"),
        Option("2", "opt_next_slot", "@next_slot"),
        Option("3", "opt_other_centre", "@other_centre", when="other_centres"),
        Option("4", "opt_other_vaccine", "@other_vaccine", when="other_vaccines"),
    )),
    "sold_out": Node("menu", ("sold_out",), (
        Option("1", "opt_callback", "@callback"), Option("2", "opt_agent_talk", "@agent", "agent"), MAIN)),
    "name": Node("entry", ("ask_name",), handler="name", digits=None, record=True),
    "name_confirm": Node("menu", ("name_readback",), _right_retry("@confirm_booking", "name", "opt_retry_name")),
    "booked": Node("menu", ("booked", "vaccine_named?vaccine", "booked_second?second", "booked_code",
                            "booked_sms?sms"), (
        Option("1", "opt_hear_again", "booked"),
        Option("2", "opt_book_another", "@start_booking"),
        GOODBYE,
    )),
    "already_booked": Node("menu", ("already_booked",), (
        Option("1", "opt_manage", "code"), Option("2", "opt_agent_talk", "@agent", "agent"), MAIN)),
    "caller_limit": Node("menu", ("caller_limit",), (Option("1", "opt_agent_talk", "@agent", "agent"), MAIN)),
    "needs_agent": Node("menu", ("needs_agent",), (Option("1", "opt_agent_talk", "@agent", "agent"), MAIN)),
    # --- my appointment: code + date of birth, then hear, move or cancel
    "code": Node("entry", ("ask_code",), handler="code", digits=9),
    "code_dob": Node("entry", ("ask_dob_manage",), handler="manage_dob", digits=8),
    "manage": Node("menu", ("appointment", "vaccine_named?vaccine", "appointment_second?second"), (
        Option("1", "opt_change", "@rebook_search"),
        Option("2", "opt_cancel", "cancel_confirm"),
        MAIN,
    )),
    "cancel_confirm": Node("menu", ("cancel_confirm",), (
        Option("1", "opt_yes_cancel", "@cancel", "yes"), Option("2", "opt_keep", "manage", "no"))),
    "cancelled": Node("menu", ("cancelled",), (Option("1", "opt_book_new", "@start_booking"), GOODBYE)),
    "rebook_offer": Node("menu", ("rebook_offer", "rebook_second?new_second"), (
        Option("1", "opt_take_new", "@rebook", "yes"),
        Option("2", "opt_next_slot", "@rebook_next"),
        Option("3", "opt_keep", "manage", "no"),
    )),
    "rebooked": Node("menu", ("rebooked", "rebooked_second?second", "code_stays"), (MAIN, GOODBYE)),
    # --- people: agent, callback, overload
    "agent_offer": Node("menu", ("agent_offer",), (
        Option("1", "opt_agent_talk", "@agent", "agent"), Option("2", "opt_try_again", "@retry"))),
    "overload": Node("menu", ("overload",), (Option("1", "opt_callback_keep", "@callback", "yes"), MAIN)),
    "queue": Node("queue", ("queue_intro",)),
    "callback_done": Node("hangup", ("callback_done",)),
    "notify_sms_done": Node("hangup", ("notify_sms_done",)),
    "notify_callback_done": Node("hangup", ("notify_callback_done",)),
    "goodbye": Node("hangup", ("goodbye",)),
}

START = "language"
# Where a caller lands after the language choice.
HOME = "main"
MAX_FAILURES = 2
REPEAT_KEY = "*"
AGENT_KEY = "0"


def node(state: str) -> Node:
    """The node of a state; unknown states (an old deployment's call) restart at the main menu."""
    return NODES.get(state) or NODES[HOME]


def prompt_keys(n: Node) -> list[tuple[str, str]]:
    """(key, flag) of each prompt of a node; flag is '' when it is always said."""
    return [tuple(p.split("?", 1)) if "?" in p else (p, "") for p in n.prompts]


def find_option(options, key: str) -> Option | None:
    """The option chosen by a key press."""
    return next((o for o in options if o.key == key), None)


def all_prompt_keys() -> set[tuple[str, str]]:
    """Every (prompt key, language or '') the tree can say; '' means every language."""
    keys = {(k, "") for n in NODES.values() for k, _ in prompt_keys(n)}
    keys |= {(o.prompt, o.lang) for n in NODES.values() for o in n.options}
    return keys
