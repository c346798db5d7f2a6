"""The move catalog: the shipped file obeys its schema and the loader's own rules."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from sensor_hub.alerts import CatalogError, Place, Sides, Trigger, load_catalog
from sensor_hub.alerts.moves import parse_catalog
from sensor_hub.mqtt.messages import ID_PATTERN


def _data(name: str) -> Any:
    return json.loads(resources.files("sensor_hub.alerts").joinpath("data", name).read_text())


def test_the_shipped_catalog_matches_its_schema() -> None:
    schema = _data("moves.schema.json")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    cls(schema).validate(_data("moves.json"))


def test_the_schema_rejects_what_the_loader_rejects() -> None:
    schema = _data("moves.schema.json")
    bad = _data("moves.json")
    bad["moves"][0]["reps"] = 5
    bad["moves"][0]["duration_s"] = 30
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert not validator.is_valid(bad)
    with pytest.raises(CatalogError):
        parse_catalog(bad)


def test_the_source_article_moves_are_all_there() -> None:
    cat = load_catalog()
    ids = set(cat.by_id)
    assert {"neutral_spine_sitting", "neutral_spine_standing", "neutral_spine_lying"} <= ids
    assert {"knees_to_chest", "lunge_stretch_standing", "lunge_stretch_kneeling"} <= ids
    assert {"glute_bridge", "single_leg_bridge", "plank_knees", "plank", "step_ups"} <= ids
    assert {"foam_roll_hips", "massage_ball_seated", "massage_ball_wall"} <= ids
    assert cat["glute_bridge"].progression == "single_leg_bridge"
    assert cat["lunge_stretch_standing"].sides is Sides.BOTH
    assert cat["plank_knees"].progression == "plank"
    assert cat.family("plank_leg_lift") == "plank_knees"


def test_every_move_is_complete_and_carries_the_safety_notes() -> None:
    cat = load_catalog()
    assert any("pain" in note for note in cat.safety)
    assert any("disc" in note for note in cat.safety)
    for move in cat.moves:
        assert ID_PATTERN.fullmatch(move.id)
        assert move.steps
        assert move.why
        assert (move.duration_s is None) != (move.reps is None)
        assert move.dose


def test_every_trigger_has_several_desk_moves() -> None:
    cat = load_catalog()
    desk = {Place.CHAIR, Place.STANDING}
    for trigger in Trigger:
        suitable = [m for m in cat.for_trigger(trigger) if m.where & desk]
        assert len(suitable) >= 2, trigger


def _bad(change: str) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(_data("moves.json"))
    moves = doc["moves"]
    if change == "duplicate":
        moves.append(copy.deepcopy(moves[0]))
    elif change == "dangling":
        moves[0]["progression"] = "no_such_move"
    elif change == "loop":
        moves[-1]["progression"] = moves[-1]["id"]
    elif change == "easier":
        moves[0]["difficulty"] = 3
        moves[0]["progression"] = "neutral_spine_lying"
    elif change == "trigger":
        moves[0]["triggers"] = ["slouch"]
    elif change == "place":
        moves[0]["where"] = ["desk"]
    elif change == "unknown":
        moves[0]["colour"] = "red"
    elif change == "neither":
        moves[0].pop("reps")
    return doc


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("duplicate", "appears twice"),
        ("dangling", "'no_such_move' is no move"),
        ("loop", "loops back"),
        ("easier", "is easier"),
        ("trigger", "'slouch' is not one of"),
        ("place", "'desk' is not one of"),
        ("unknown", "unknown field 'colour'"),
        ("neither", "exactly one of duration_s and reps"),
    ],
)
def test_a_bad_catalog_raises_one_clear_error(change: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message) as info:
        parse_catalog(_bad(change), "moves.json")
    assert str(info.value).startswith("moves.json: ")


def test_bad_json_and_bad_version() -> None:
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_catalog("{")
    with pytest.raises(CatalogError, match="unsupported version"):
        load_catalog('{"version": 2, "moves": []}')
