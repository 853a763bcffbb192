"""Vocabulary encoding: fixed at training, unseen categories get their own code."""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_scoring.features.encoding import encode, encode_frame, fit_vocabulary


def test_vocabulary_orders_by_frequency_then_name() -> None:
    assert fit_vocabulary(["b", "a", "b", None, "c", "a", "b"]) == ("b", "a", "c")


def test_unknown_category_scores_as_unseen_and_missing_stays_missing() -> None:
    codes = encode(["M", "F", "XNA", None], ("F", "M"))
    assert codes[:3].tolist() == [1.0, 0.0, 2.0]
    assert np.isnan(codes[3])


def test_frame_and_single_value_encodings_agree() -> None:
    vocab = ("Working", "Pensioner")
    frame = pd.DataFrame({"NAME_INCOME_TYPE": ["Pensioner", "Student", None, "Working"]})
    vectorised = encode_frame(frame, {"NAME_INCOME_TYPE": vocab})["NAME_INCOME_TYPE"]
    one_by_one = np.concatenate([encode(v, vocab) for v in frame["NAME_INCOME_TYPE"]])
    np.testing.assert_array_equal(vectorised, one_by_one)
