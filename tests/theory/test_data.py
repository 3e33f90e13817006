"""Data sets for the diffusion explorer: shipped digits and safely parsed user files."""

import io

import numpy as np
import pytest

from theory import data


def npy_bytes(array, **kwargs):
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def test_digits_are_standardised_with_their_labels():
    ds = data.digits()
    assert ds.points.shape == (1797, 64)
    assert ds.image_shape == (8, 8)
    np.testing.assert_allclose(ds.points.mean(axis=0), 0.0, atol=1e-12)
    assert ds.points.var(axis=0).mean() == pytest.approx(1.0)
    assert sorted(set(ds.labels.tolist())) == list(range(10))


def test_npy_and_csv_files_are_read():
    rng = np.random.default_rng(0)
    array = rng.standard_normal((50, 4)) * [1, 2, 3, 4] + 7
    ds = data.parse_file(npy_bytes(array), "points.npy")
    np.testing.assert_allclose(ds.points, data.standardise(array))
    text = "a,b,c,d\n" + "\n".join(",".join(f"{v:.17g}" for v in row) for row in array)
    ds_csv = data.parse_file(text.encode(), "points.CSV")
    np.testing.assert_allclose(ds_csv.points, ds.points, atol=1e-12)
    assert set(ds.labels.tolist()) == {0, 1}  # the two sides of the top principal direction
    assert ds.labels.sum() == 25


@pytest.mark.parametrize(
    ("content", "name", "match"),
    [
        (npy_bytes(np.array([{"a": 1}], dtype=object), allow_pickle=True), "evil.npy",
         "could not read|must hold numbers"),
        (npy_bytes(np.array([[1.0, np.nan], [2.0, 3.0]])), "nan.npy", "NaN"),
        (npy_bytes(np.zeros(10)), "flat.npy", "2-d"),
        (npy_bytes(np.zeros((30_000, 2))), "big.npy", "at most"),
        (npy_bytes(np.ones((5, 3))), "constant.npy", "constant"),
        # issue 17: passed the checks, then the page failed with "Could not update the view"
        (npy_bytes(np.array([[1e308, -1e308], [-1e308, 1e308], [1e308, 1e308]])),
         "huge.npy", "too large"),
        (npy_bytes(np.full((40, 3), 1e308) * np.where(np.arange(120) % 2, 1, -1).reshape(40, 3)),
         "alternating.npy", "too large"),
        (npy_bytes(np.array([[1e-320, 0.0], [0.0, 1e-320], [0.0, 0.0]])), "tiny.npy",
         "constant"),
        (npy_bytes(np.array([[1e-160, 0.0], [0.0, 1e-160], [0.0, 0.0]])), "small.npy",
         "rescale"),
        (b"1,2,3\n4,five,6\n", "bad.csv", "could not read"),
        (b"\xff\xfe garbage", "bin.csv", "could not read"),
        (b"whatever", "data.pkl", "only .npy and .csv"),
        (b"0" * (21 * 1024 * 1024), "huge.csv", "larger than"),
    ],
)
def test_bad_files_are_refused_with_a_message(content, name, match):
    with pytest.raises(ValueError, match=match):
        data.parse_file(content, name)
