"""shipyard.review.inputs: the one reading of recorded inputs the controls, lifecycle and plan views share."""

from __future__ import annotations

from shipyard.review.inputs import Secret, lookup, masked, reveal

INPUTS = {"name": "api", "env": [{"name": "TOKEN", "value": Secret("s3cret")}],
          "nested": Secret({"inner": Secret(("a", "b"))}), "ports": (80, 443)}


def test_reveal_unwraps_secrets_at_any_depth_and_lists_tuples():
    assert reveal(INPUTS) == {"name": "api", "env": [{"name": "TOKEN", "value": "s3cret"}],
                              "nested": {"inner": ["a", "b"]}, "ports": [80, 443]}


def test_masked_shows_each_outermost_secret_as_a_placeholder():
    assert masked(INPUTS) == {"name": "api", "env": [{"name": "TOKEN", "value": "[secret]"}],
                              "nested": "[secret]", "ports": [80, 443]}
    assert repr(Secret("s3cret")) == "[secret]"


def test_lookup_follows_keys_and_list_indexes_and_stops_at_secrets():
    assert lookup(INPUTS, "env.0.name") == "TOKEN"
    assert lookup(INPUTS, "ports.1") == 443
    assert lookup(INPUTS, "env.1.name", "absent") == "absent"
    assert lookup(INPUTS, "name.0") is None
    assert lookup(INPUTS, "nested.inner") is None   # a secret is opaque until revealed
    assert lookup(reveal(INPUTS), "nested.inner.0") == "a"
