"""The docs: the config reference is generated from the schema, every page's links lead somewhere,
and every place the code sends a reader to exists."""

from __future__ import annotations

import re

import pytest

from shipyard.config.schema import StackConfig
from shipyard.review import docs
from tests.conftest import PROJECT

PAGES = ["README.md", *sorted(f"docs/{p.name}" for p in (PROJECT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\((?!https?://|mailto:)(?P<path>[^)#\s]*)(?:#(?P<anchor>[^)\s]+))?\)")
# Written on another branch (the lead merges it): linked from the README already.
PENDING = {"CONTRIBUTING.md"}


def test_generated_tables_are_current():
    assert docs.stale_pages() == [], "run `make docs` (python -m shipyard docs --write)"


def test_every_key_has_a_description():
    undocumented = [row[0] for row in docs.rows() if not row[3]]
    assert undocumented == []


def test_every_top_level_key_is_in_the_config_reference():
    text = (PROJECT / "docs" / "config.md").read_text()
    for field in StackConfig.model_fields.values():
        assert f"`shipyard:{field.alias}`" in text


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: str) -> set[str]:
    text = re.sub(r"```.*?```", "", (PROJECT / page).read_text(), flags=re.S)
    return {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def test_slugs_are_githubs():
    assert slug("The endpoint, and where `pulumi up` runs") == "the-endpoint-and-where-pulumi-up-runs"
    assert slug("Review a change: plan, diff, cost, check, graph") == (
        "review-a-change-plan-diff-cost-check-graph")


@pytest.mark.parametrize("page", PAGES)
def test_every_link_leads_to_a_file_and_heading_that_exist(page):
    base = (PROJECT / page).parent
    for link in LINK.finditer((PROJECT / page).read_text()):
        target = (base / link["path"]).resolve() if link["path"] else PROJECT / page
        relative = target.relative_to(PROJECT)
        if str(relative) in PENDING:
            continue
        assert target.exists(), f"{page}: {link.group(0)} leads nowhere"
        if link["anchor"]:
            assert link["anchor"] in anchors(str(relative)), f"{page}: no heading for {link.group(0)}"


def test_every_docs_page_is_linked_from_the_readme():
    readme = (PROJECT / "README.md").read_text()
    assert [p for p in PAGES[1:] if f"({p})" not in readme] == []


# A reference the code, messages or workflows make to the docs: "(docs/eks.md: where `pulumi up` runs)".
REFERENCE = re.compile(r"(docs/[\w-]+\.md): ([^)\"'\n]+)")


def test_every_reference_in_code_names_a_heading_of_its_page():
    sources = [*PROJECT.glob("shipyard/**/*.py"), *PROJECT.glob("components/*.py"),
               PROJECT / "__main__.py", *PROJECT.glob(".github/workflows/*.yml")]
    references = [(path, m) for path in sources for m in REFERENCE.finditer(path.read_text())]
    assert references, "the code names no docs heading: is the pattern still right?"
    for path, found in references:
        headings = {h.replace("-", " ") for h in anchors(found[1])}
        wanted = slug(found[2]).replace("-", " ")
        assert any(wanted in h for h in headings), f"{path}: {found.group(0)}: no such heading"
