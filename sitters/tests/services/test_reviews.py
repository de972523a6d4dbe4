"""Reviews, write side: submit and moderate, with the profile's average and count kept exact."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache

from accounts.models import User
from accounts.tests.factories import ParentFactory
from conftest import race
from guardiannest.audit.models import AuditEvent
from guardiannest.errors import ApplicationError, Refusal
from sitters.models import Review, SitterProfile
from sitters.services.reviews import review_hide, review_submit
from sitters.tests.factories import SitterProfileFactory


def profile_version(sitter_id: Any) -> Any:
    return cache.get(f"sitters:profile-version:{sitter_id}")


@pytest.fixture
def profile(sitter: User) -> SitterProfile:
    result: SitterProfile = SitterProfileFactory(user=sitter)
    return result


@pytest.mark.django_db
def test_submit_keeps_average_and_count(
    profile: SitterProfile, parent: User, other_parent: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        review = review_submit(
            sitter_id=profile.pk, author=parent, rating=5, comment="<i>Great</i> with the kids", booking_id=uuid.uuid4()
        )
        assert profile_version(profile.pk) is None
    assert profile_version(profile.pk) is not None
    assert review.comment == "Great with the kids"
    review_submit(sitter_id=profile.pk, author=other_parent, rating=4, comment="", booking_id=uuid.uuid4())
    review_submit(sitter_id=profile.pk, author=parent, rating=4, comment="Again good")

    profile.refresh_from_db()
    assert profile.rating_count == 3
    assert profile.rating_avg == Decimal("4.33")
    event = AuditEvent.objects.get(action="sitter.review_submitted", target_id=str(review.pk))
    assert event.actor_id == parent.pk
    assert event.data["rating"] == 5
    assert "Great" not in str(event.data)


@pytest.mark.django_db
def test_one_review_per_booking(profile: SitterProfile, parent: User) -> None:
    booking_id = uuid.uuid4()
    review_submit(sitter_id=profile.pk, author=parent, rating=5, comment="", booking_id=booking_id)

    with pytest.raises(ApplicationError) as raised:
        review_submit(sitter_id=profile.pk, author=parent, rating=1, comment="", booking_id=booking_id)

    assert raised.value.code == "review_exists" and raised.value.refusal == Refusal.CONFLICT
    profile.refresh_from_db()
    assert (profile.rating_count, profile.rating_avg) == (1, Decimal("5.00"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rating", "comment", "field"),
    [
        (0, "", "rating"),
        (6, "", "rating"),
        (True, "", "rating"),
        (3, "x" * 2001, "comment"),
        (3, "a\u202eb", "comment"),
    ],
)
def test_bad_input_names_the_field(profile: SitterProfile, parent: User, rating: Any, comment: str, field: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        review_submit(sitter_id=profile.pk, author=parent, rating=rating, comment=comment)

    assert raised.value.refusal == Refusal.INVALID
    assert field in (raised.value.errors or {})
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_only_parents_review_known_sitters(profile: SitterProfile, other_sitter: User, parent: User) -> None:
    with pytest.raises(ApplicationError) as raised:
        review_submit(sitter_id=profile.pk, author=other_sitter, rating=5, comment="")
    assert raised.value.refusal == Refusal.FORBIDDEN

    with pytest.raises(ApplicationError) as raised:
        review_submit(sitter_id=uuid.uuid4(), author=parent, rating=5, comment="")
    assert raised.value.refusal == Refusal.INVALID and "sitter_id" in (raised.value.errors or {})
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_hidden_reviews_are_not_counted(
    profile: SitterProfile, parent: User, other_parent: User, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    harsh = review_submit(sitter_id=profile.pk, author=parent, rating=1, comment="spam")
    review_submit(sitter_id=profile.pk, author=other_parent, rating=5, comment="")

    with django_capture_on_commit_callbacks(execute=True):
        review_hide(review=harsh, actor=staff, hidden=True)
    profile.refresh_from_db()
    assert (profile.rating_count, profile.rating_avg) == (1, Decimal("5.00"))
    event = AuditEvent.objects.get(action="sitter.review_moderated")
    assert event.actor_id == staff.pk and event.data["hidden"] is True
    assert profile_version(profile.pk) is not None

    review_hide(review=harsh, actor=staff, hidden=True)  # no change, no second event
    assert AuditEvent.objects.filter(action="sitter.review_moderated").count() == 1

    review_hide(review=harsh, actor=staff, hidden=False)
    profile.refresh_from_db()
    assert (profile.rating_count, profile.rating_avg) == (2, Decimal("3.00"))


@pytest.mark.django_db
def test_hiding_every_review_clears_the_average(profile: SitterProfile, parent: User, staff: User) -> None:
    review = review_submit(sitter_id=profile.pk, author=parent, rating=2, comment="")

    review_hide(review=review, actor=staff, hidden=True)

    profile.refresh_from_db()
    assert (profile.rating_count, profile.rating_avg) == (0, None)


@pytest.mark.django_db
def test_only_staff_moderate(profile: SitterProfile, parent: User) -> None:
    review = review_submit(sitter_id=profile.pk, author=parent, rating=2, comment="")

    with pytest.raises(ApplicationError) as raised:
        review_hide(review=review, actor=parent, hidden=True)

    assert raised.value.refusal == Refusal.FORBIDDEN
    review.refresh_from_db()
    assert review.hidden is False


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_keep_exact_figures(sitter: User) -> None:
    profile = SitterProfileFactory(user=sitter)
    ratings = [5, 4, 3, 5, 2, 5, 1, 4, 4, 3]
    authors = [ParentFactory() for _ in ratings]
    pending = list(zip(authors, ratings, strict=True))

    def submit() -> Review:
        author, rating = pending.pop()
        return review_submit(sitter_id=profile.pk, author=author, rating=rating, comment="", booking_id=uuid.uuid4())

    results = race(len(ratings), submit)

    assert all(isinstance(result, Review) for result in results), results
    profile.refresh_from_db()
    assert profile.rating_count == len(ratings) == Review.objects.filter(sitter=profile).count()
    assert profile.rating_avg == (Decimal(sum(ratings)) / len(ratings)).quantize(Decimal("0.01"))


@pytest.mark.django_db
@pytest.mark.parametrize(("rating", "flagged"), [(1, True), (3, True), (4, False), (5, False)])
def test_three_or_less_is_flagged_for_staff(profile: SitterProfile, parent: User, rating: int, flagged: bool) -> None:
    review = review_submit(sitter_id=profile.pk, author=parent, rating=rating, comment="", booking_id=uuid.uuid4())

    assert Review.objects.get(pk=review.pk).flagged is flagged


@pytest.mark.django_db
def test_only_the_reviewed_sitter_replies_and_only_once(
    profile: SitterProfile, parent: User, other_sitter: User
) -> None:
    from sitters.services.reviews import review_reply

    review = review_submit(sitter_id=profile.pk, author=parent, rating=4, comment="Good", booking_id=uuid.uuid4())

    with pytest.raises(ApplicationError) as stranger:
        review_reply(review_id=review.pk, author=other_sitter, comment="Hi")
    review_reply(review_id=review.pk, author=profile.user, comment="<b>Thanks</b>")
    with pytest.raises(ApplicationError) as twice:
        review_reply(review_id=review.pk, author=profile.user, comment="Again")

    assert stranger.value.code == "not_found" and twice.value.code == "review_reply_exists"
    stored = Review.objects.get(pk=review.pk)
    assert (stored.reply, stored.replied_at is not None) == ("Thanks", True)
    profile.refresh_from_db()
    assert profile.rating_count == 1  # a reply changes no figure
