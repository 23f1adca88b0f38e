"""The phone tree's table holds together, without a database: every target, handler and condition it names exists.

`engine.resolve` sends a target that names no state to the main menu (an old deployment's call must not
break), so a typo in ivr/flow.py would not fail anything else: callers would just land in the main menu.
"""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from ivr import flow, steps

STEPS = Path(steps.__file__).parent
# Fields of Node and Option that name no target, handler or condition; a new field must be sorted in here
# or named like a target ("target", "..._target"), so that a new kind of target cannot go unchecked.
NOT_TARGETS = {
    flow.Node: {"kind", "prompts", "options", "digits", "speech", "record"},
    flow.Option: {"key", "prompt", "speech", "lang"},
}
NAMED_ELSEWHERE = {"handler": "HANDLERS", "when": "CONDITIONS"}


def target_fields(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls) if f.name == "target" or f.name.endswith("_target")]


def target_problem(target: str) -> str | None:
    """Why a target does not resolve, or None: a state of flow.NODES, or "@action[:arg]" of steps.ACTIONS."""
    if target.startswith("@"):
        action = target[1:].partition(":")[0]
        return None if action in steps.ACTIONS else f"no step @{action} in ivr.steps.ACTIONS"
    return None if target in flow.NODES else "no such state in flow.NODES"


def targets_returned_by_steps() -> list[tuple[str, str]]:
    """(where, target) for each literal target a registered step returns or retries at (ivr/steps/*.py)."""
    found = []
    for path in sorted(STEPS.glob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            registered = isinstance(fn, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "id", "") in ("action", "handler")
                for d in fn.decorator_list)
            if not registered:
                continue
            for node in ast.walk(fn):
                values = []
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant):
                    values.append(node.value.value)
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Retry":
                    values += [k.value.value for k in node.keywords
                               if k.arg == "state" and isinstance(k.value, ast.Constant)]
                found += [(f"ivr/steps/{path.name}:{node.lineno} ({fn.name})", v) for v in values if isinstance(v, str)]
    return found


def test_every_target_handler_and_condition_of_the_phone_tree_resolves():
    steps.load_all()
    for cls, known in NOT_TARGETS.items():
        unsorted = {f.name for f in dataclasses.fields(cls)} - known - set(target_fields(cls)) - set(NAMED_ELSEWHERE)
        assert not unsorted, f"{cls.__name__} has new fields {unsorted}: sort them into NOT_TARGETS or check them"
    assert target_fields(flow.Node) and target_fields(flow.Option)

    problems = []
    for where, target in [("flow.START", flow.START), ("flow.HOME", flow.HOME)]:
        if target not in flow.NODES:
            problems.append(f"{where} = {target!r}: no such state in flow.NODES")
    checked = 0
    for state, node in flow.NODES.items():
        for field in target_fields(flow.Node):
            if getattr(node, field):
                checked += 1
                if why := target_problem(getattr(node, field)):
                    problems.append(f"{state}.{field} = {getattr(node, field)!r}: {why}")
        if node.kind == "entry" and not node.handler:
            problems.append(f"{state}: an entry state without a handler")
        if node.handler and node.handler not in steps.HANDLERS:
            problems.append(f"{state}.handler = {node.handler!r}: not in ivr.steps.HANDLERS")
        for option in node.options:
            for field in target_fields(flow.Option):
                checked += 1
                if why := target_problem(getattr(option, field)):
                    problems.append(f"{state} option {option.key}: {field} = {getattr(option, field)!r}: {why}")
            if option.when and option.when not in steps.CONDITIONS:
                problems.append(f"{state} option {option.key}: when = {option.when!r}: not in ivr.steps.CONDITIONS")
    for where, target in targets_returned_by_steps():
        checked += 1
        if why := target_problem(target):
            problems.append(f"{where} returns {target!r}: {why}")
    assert not problems, "targets that do not resolve:\n" + "\n".join(problems)
    assert checked > 60  # the whole tree was walked, not an empty one
