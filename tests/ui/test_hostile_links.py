"""Hostile links in headless Chromium against the served app: each builds a working page that
says what it dropped, with no console error (issue 17: they used to give an empty page)."""

import pytest

from .test_online_page import no_errors
from .test_spiked_page import open_page, wait_visible

pytestmark = pytest.mark.ui

LINKS = [
    # (query, the explorer's data source that must render, text of the notice)
    ("rho=%C2%B3&x=%D9%A1%D9%A2", "spiked-curves", "x=١٢"),
    ("tab=1&glm_rho=true&glm_noise=0.5", "glm-curves", "glm_rho=true"),
    ("tab=2&sgd_lr=false&zz=" + "9" * 5000, "sgd-eps", "5,000 characters"),
    ("tab=true&dm_seed=true&amp_n=%EF%BC%95", "spiked-curves", "tab=true"),
]


@pytest.mark.parametrize(("query", "ready", "text"), LINKS)
def test_a_hostile_link_builds_a_working_page_with_a_notice(page, app_url, query, ready, text):
    open_page(page, f"{app_url}?{query}", ready=ready, timeout=60_000)
    wait_visible(page, "could not be used and were ignored")
    wait_visible(page, text)  # the notice names what it dropped
    page.wait_for_timeout(500)
    # the browser sends its raw address back to the server: cleaned there too
    assert "=True" not in page.url
    assert "=False" not in page.url
    no_errors(page)
