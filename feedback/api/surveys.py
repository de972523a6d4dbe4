"""Surveys (API.md, Feedback and analytics): the ones out for the caller, and answering one.

``GET surveys/active``: the surveys out for the caller's role (everyone,
parents or sitters) that they have not answered, newest first, each with its
questions; an empty list when there is none. A question is a ``rating``
(1-5), a single ``choice`` among ``choices``, or free ``text``; ``required``
says whether it must be answered.

``POST surveys/{id}/responses`` ``{answers: [{question_id, rating | choice | text}]}``
→ 201 with the stored response. Each answer names a question of this survey
and gives the field its kind takes; every required question is answered; a
blank text to an optional question is no answer. Otherwise 400, naming the
field (``answers.<index>.question_id`` for an unknown or repeated question,
``answers.<index>.<field>`` for a wrong kind or a choice not offered,
``answers`` for a required question left out). Answering twice is 409
``survey_already_answered``; a survey not out, or out for another role, is 404.
"""

from __future__ import annotations

from uuid import UUID

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback.api.common import TAGS, caller
from feedback.models import CHOICE_MAX, Audience, QuestionKind, SurveyResponse
from feedback.selectors.surveys import survey_list_active_for_user
from feedback.services.surveys import TEXT_ANSWER_MAX, survey_respond
from guardiannest.api.pagination import CursorPagination
from guardiannest.api.serializers import CleanTextField, StrictSerializer

ANSWERS_MAX = 100


@extend_schema_serializer(component_name="SurveyQuestion")
class QuestionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    prompt = serializers.CharField()
    required = serializers.BooleanField()  # type: ignore[assignment]  # a field named like Field.required
    choices = serializers.ListField(child=serializers.CharField(), help_text="The choices offered (choice only).")


@extend_schema_serializer(component_name="Survey")
class SurveySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    audience = serializers.ChoiceField(choices=Audience.choices)
    closes_at = serializers.DateTimeField(allow_null=True)
    questions = QuestionSerializer(many=True)


@extend_schema_serializer(component_name="SurveyAnswerInput")
class AnswerInputSerializer(StrictSerializer):
    one_of = ("rating", "choice", "text")

    question_id = serializers.UUIDField()
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False, help_text="For a rating question.")
    choice = serializers.CharField(max_length=CHOICE_MAX, required=False, help_text="One of the question's choices.")
    text = CleanTextField(max_length=TEXT_ANSWER_MAX, required=False, allow_blank=True, help_text="Free text.")


@extend_schema_serializer(component_name="SurveyResponseInput")
class ResponseInputSerializer(StrictSerializer):
    answers = AnswerInputSerializer(many=True, allow_empty=False, max_length=ANSWERS_MAX)  # type: ignore[call-arg]


@extend_schema_serializer(component_name="SurveyAnswer")
class AnswerSerializer(serializers.Serializer):
    question_id = serializers.UUIDField()
    rating = serializers.IntegerField(allow_null=True)
    choice = serializers.CharField(allow_null=True)
    text = serializers.CharField(allow_null=True)


@extend_schema_serializer(component_name="SurveyResponse")
class ResponseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    survey_id = serializers.UUIDField()
    submitted_at = serializers.DateTimeField()
    answers = AnswerSerializer(many=True)


def response_data(response: SurveyResponse) -> dict[str, object]:
    return {
        "id": response.pk,
        "survey_id": response.survey_id,
        "submitted_at": response.submitted_at,
        "answers": [
            {
                "question_id": answer.question_id,
                "rating": answer.rating,
                "choice": answer.choice or None,
                "text": answer.text or None,
            }
            for answer in response.answers.order_by("question__position", "id")
        ],
    }


class SurveyActiveListApi(APIView):
    class Pagination(CursorPagination):
        ordering = ("-created_at", "-id")  # type: ignore[assignment]  # DRF takes a tuple; the stub says str

    pagination_class = Pagination  # also tells the schema the list is paginated

    @extend_schema(
        responses={200: SurveySerializer(many=True)},
        tags=TAGS,
        description="The surveys out for you that you have not answered, with their questions (an empty list when "
        "there is none).",
    )
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(survey_list_active_for_user(user=caller(request)), request, self) or []
        body = [
            {
                "id": survey.pk,
                "title": survey.title,
                "description": survey.description,
                "audience": survey.audience,
                "closes_at": survey.closes_at,
                "questions": list(survey.questions.all()),
            }
            for survey in page
        ]
        return paginator.get_paginated_response(SurveySerializer(body, many=True).data)


class SurveyResponseCreateApi(APIView):
    @extend_schema(
        request=ResponseInputSerializer,
        responses={201: ResponseSerializer},
        tags=TAGS,
        description="Answer a survey, once (409 survey_already_answered after).",
    )
    def post(self, request: Request, survey_id: UUID) -> Response:
        data = ResponseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        response = survey_respond(
            survey_id=survey_id, respondent=caller(request), answers=data.validated_data["answers"]
        )
        return Response(ResponseSerializer(response_data(response)).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("surveys/active", SurveyActiveListApi.as_view(), name="surveys-active"),
    path("surveys/<uuid:survey_id>/responses", SurveyResponseCreateApi.as_view(), name="survey-responses"),
]
