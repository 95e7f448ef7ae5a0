"""Grouping incident reports: measured on a labelled Danish and English set."""
import itertools

import pytest

from services.similarity import keywords, same_incident
from tests.data.incident_reports import REPORTS


def _pairs():
    for (c1, t1, d1), (c2, t2, d2) in itertools.combinations(REPORTS, 2):
        yield c1 == c2 and not c1.startswith("miss"), same_incident(f"{t1} {d1}", f"{t2} {d2}")


def test_the_labelled_set_is_large_enough():
    assert len(REPORTS) >= 40
    assert len({cluster for cluster, _, _ in REPORTS if cluster.startswith("miss")}) >= 10


def test_precision_and_recall_on_the_labelled_set():
    pairs = list(_pairs())
    true_positive = sum(1 for same, predicted in pairs if same and predicted)
    predicted = sum(1 for _, p in pairs if p)
    actual = sum(1 for same, _ in pairs if same)
    precision, recall = true_positive / predicted, true_positive / actual
    assert precision >= 0.9, precision
    assert recall >= 0.8, recall


@pytest.mark.parametrize("a, b", [
    ("Jeg kan ikke printe", "Jeg kan ikke logge ind"),
    ("Kan ikke åbne Excel", "Kan ikke komme på internettet"),
    ("It does not work", "Det virker ikke"),
])
def test_reports_that_only_say_something_is_broken_are_not_grouped(a, b):
    assert not same_incident(a, b)


def test_normalisation_folds_case_accents_and_danish_letters():
    assert keywords("SKÆRMEN er SORT") == keywords("skaermen er sort") == {"screen", "black"}
