"""The README documents every config key, generated from the schema."""

from shipyard import docs
from shipyard.config.schema import StackConfig


def test_readme_generated_tables_are_current():
    assert not docs.readme_is_stale(), "run `make docs` (python -m shipyard docs --write)"


def test_every_key_has_a_description():
    undocumented = [row[0] for row in docs.rows() if not row[3]]
    assert undocumented == []


def test_every_top_level_key_is_in_the_readme():
    text = docs.README.read_text()
    for field in StackConfig.model_fields.values():
        assert f"`shipyard:{field.alias}`" in text
