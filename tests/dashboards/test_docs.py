"""The README and DEPLOY.md: every link and image stays inside the repository (a newcomer's
checkout has nothing beside it), and the README keeps the two set-up commands."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["README.md", "DEPLOY.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("name", DOCS)
def test_links_and_images_resolve_inside_the_repository(name):
    text = (ROOT / name).read_text()
    links = LINK.findall(text)
    assert links, "no link found: the pattern is wrong"
    for target in links:
        if target.startswith(("http://localhost", "http://127.0.0.1")):
            continue
        assert "://" not in target, target  # nothing to fetch: the docs work offline too
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT), target  # e.g. ../shared/DESIGN.md is not
        assert path.exists(), target
    assert "../" not in text


def test_the_readme_keeps_its_two_set_up_commands_and_its_tour():
    text = (ROOT / "README.md").read_text()
    assert re.search(r"^make run\b", text, re.M)
    assert re.search(r"^make test\b", text, re.M)
    assert "five-minute tour" in text.lower()
    assert "DEPLOY.md" in text
