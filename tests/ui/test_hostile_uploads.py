"""Uploads over the limit in Chromium (issue 17): the page refuses a file too large for one
websocket message before sending it, and says so; the page keeps working."""

import numpy as np
import pytest

from dashboards.guards import MAX_UPLOAD_BYTES

from .test_online_page import no_errors
from .test_spiked_page import open_page, wait_visible

pytestmark = pytest.mark.ui


def _choose(page, path):
    """As a person does: click the input, pick the file in the chooser."""
    with page.expect_file_chooser() as chooser:
        page.locator("input[type=file]").first.click()
    chooser.value.set_files(str(path))


def test_a_file_over_the_limit_is_refused_in_the_page_and_the_page_keeps_working(
        page, app_url, tmp_path):
    big, good = tmp_path / "big.npy", tmp_path / "mine.npy"
    rows = MAX_UPLOAD_BYTES // (8 * 8) + 1000  # just over the limit, as float64 x 8
    np.save(big, np.zeros((rows, 8)))
    assert MAX_UPLOAD_BYTES < big.stat().st_size < 1.1 * MAX_UPLOAD_BYTES
    np.save(good, np.random.default_rng(1).standard_normal((300, 5)))
    open_page(page, f"{app_url}?tab=3&dm_source=upload", ready="dm-regimes", timeout=60_000)
    wait_visible(page, "upload a .npy or .csv file")
    _choose(page, big)
    wait_visible(page, "files up to 15 MB can be uploaded")
    page.wait_for_timeout(1000)
    assert not page.get_by_text("Reading `big.npy`").is_visible()  # nothing was sent
    _choose(page, good)  # the connection is still open: the next file is read
    wait_visible(page, "300 points, d = 5", timeout=60_000)
    assert not page.get_by_text("files up to 15 MB").is_visible()
    no_errors(page)
