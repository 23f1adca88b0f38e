"""The retention catalogue names every column of every table: a new personal column cannot be forgotten."""
from shared_db.models import Base
from shared_db.operations.retention_catalogue import NOT_PERSONAL, PERSONAL, RULES, rule_of


def _model_columns() -> set[tuple[str, str]]:
    return {(table.name, column.name) for table in Base.metadata.tables.values() for column in table.columns}


def test_every_column_is_either_personal_with_a_rule_or_declared_not_personal():
    declared_plain = {(table, column) for table, columns in NOT_PERSONAL.items() for column in columns
                      if table != "alembic_version"}
    unclassified = _model_columns() - set(PERSONAL) - declared_plain
    assert not unclassified, (f"columns without a retention decision: {sorted(unclassified)}; add each to PERSONAL "
                              "with its rule or to NOT_PERSONAL in shared_db/operations/retention_catalogue.py")
    assert not set(PERSONAL) & declared_plain, "a column is declared both personal and not personal"
    stale = (set(PERSONAL) | declared_plain) - _model_columns()
    assert not stale, f"the catalogue names columns the models no longer have: {sorted(stale)}"


def test_every_personal_column_names_a_known_rule_and_every_rule_is_used():
    assert set(PERSONAL.values()) == set(RULES)
    assert rule_of("people", "name").name == "person" and rule_of("slots", "starts_at") is None
