"""A survey's results: average and count per rating, count per choice offered, free text listed; by aggregates."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import ParentFactory, SitterFactory
from feedback.selectors.surveys import survey_results_get
from feedback.services.surveys import survey_respond
from feedback.tests.factories import good_answers, survey_out

pytestmark = pytest.mark.django_db


def test_each_question_has_its_figures() -> None:
    survey = survey_out()
    for rating, choice, text in [(5, "Chat", "More sitters"), (4, "Chat", None), (1, "Search", "Faster")]:
        survey_respond(
            survey_id=survey.pk,
            respondent=ParentFactory(),
            answers=good_answers(survey, rating=rating, choice=choice, text=text),
        )
    survey_respond(survey_id=survey.pk, respondent=SitterFactory(), answers=good_answers(survey, rating=4, text=None))
    other = survey_out(title="Other")  # its answers never count here
    survey_respond(survey_id=other.pk, respondent=ParentFactory(), answers=good_answers(other, rating=1))

    with CaptureQueriesContext(connection) as queries:
        results = survey_results_get(survey=survey)

    rating, choice, text = results["questions"]
    assert results["responses"] == 4
    assert (rating["answers"], rating["average"]) == (4, 3.5)
    assert rating["distribution"] == [(1, 1), (2, 0), (3, 0), (4, 2), (5, 1)]
    assert (choice["answers"], choice["choices"]) == (4, [("Search", 1), ("Chat", 3), ("Payments", 0)])
    assert (text["answers"], sorted(text["texts"])) == (2, ["Faster", "More sitters"])
    assert len(queries) <= 9  # aggregates, not a query per answer


def test_a_survey_without_answers_has_empty_figures() -> None:
    rating, choice, text = survey_results_get(survey=survey_out())["questions"]

    assert (rating["answers"], rating["average"], rating["distribution"][0]) == (0, None, (1, 0))
    assert choice["choices"] == [("Search", 0), ("Chat", 0), ("Payments", 0)]
    assert text["texts"] == []
