"""schema_lite (the fast RunConfig schema check) agrees with the jsonschema library."""

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orc_olive.catalog import RUN_CONFIG_SCHEMA_FILE
from orc_olive.olive import schema_lite
from orc_olive.olive.run_config import jsonschema_errors, schema_errors

from .conftest import ROOT, locations, parent_of

SCHEMA = json.loads(RUN_CONFIG_SCHEMA_FILE.read_text(encoding="utf-8"))
LITE = schema_lite.Validator(SCHEMA)
GOLDEN = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "tests" / "golden").glob("*.json"))]
ODD = [None, True, 0, 1.5, -3, "", "x", "cpu", [], [1, "a"], {}, {"type": "Nope"}, {"unexpected": 1}]


def paths(errors):
    return sorted({tuple(map(str, path)) for path, _ in errors})


def test_the_run_config_schema_is_fully_supported_and_golden_workflows_pass():
    assert schema_lite.supports(SCHEMA)
    for workflow in GOLDEN:
        assert list(LITE.errors(workflow)) == [] == jsonschema_errors(workflow, SCHEMA)


def test_unknown_keywords_are_refused():
    assert not schema_lite.supports({"type": "object", "patternProperties": {"^a": {}}})
    assert not schema_lite.supports({"properties": {"a": {"oneOf": [{"type": "string"}]}}})


@st.composite
def broken_workflows(draw):
    workflow = copy.deepcopy(draw(st.sampled_from(GOLDEN)))
    for _ in range(draw(st.integers(1, 3))):
        location = draw(st.sampled_from([p for p in locations(workflow) if p]))
        parent = parent_of(workflow, location)
        if draw(st.booleans()):
            parent[location[-1]] = draw(st.sampled_from(ODD))
        elif isinstance(parent, dict):
            del parent[location[-1]]
            if draw(st.booleans()):
                parent["unexpected_key"] = draw(st.sampled_from(ODD))
    return workflow


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(broken_workflows())
def test_lite_and_jsonschema_report_the_same_places(workflow):
    assert paths(LITE.errors(workflow)) == paths(jsonschema_errors(workflow, SCHEMA))


def test_schema_errors_name_the_place():
    broken = copy.deepcopy(GOLDEN[0])
    broken["data_configs"][0]["name"] = 7
    assert schema_errors(broken) == ["data_configs/0/name: 7 is not of type 'string'"]
