"""The back office's building blocks: tables staff read, and change only through the services that own them.

Nothing in the admin writes a row itself. A table is read-only whatever the
staff member's permissions (:class:`ReadOnlyAdmin`, :class:`ReadOnlyInline`);
deleting, where staff may, and every action call a service, so each change is
checked, locked and audited the same way as from the API. Django's admin
imports this module as the ``guardiannest`` app's admin: it registers nothing.

Whatever else the admin changes (users, groups, feature flags: the tables of
Django and of third-party apps that keep their own admin) is audited too:
the admin site gives every registered admin :class:`AuditedAdmin`, which
records each addition, change, deletion and action run (see its docstring).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import FieldDoesNotExist
from django.db import models, router, transaction
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest
from django.template.response import TemplateResponse

from guardiannest.audit.services import audit_record
from guardiannest.errors import ApplicationError


class ReadOnlyPermissions:
    """No adding, changing or deleting here, whatever the user's permissions (admins and inlines alike)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RowActions(admin.ModelAdmin):
    """Actions that call a service once for each selected row (:func:`service_action`)."""

    def apply_each(
        self, request: HttpRequest, rows: QuerySet[Any], change: Callable[[Any], object], description: str
    ) -> None:
        """An action's body: one service call per selected row; a refusal warns about that row, the rest go on."""
        count = 0
        for row in rows:
            try:
                change(row)
                count += 1
            except ApplicationError as exc:
                self.message_user(request, f"{row}: {exc.detail}", level=messages.WARNING)
        self.message_user(request, f"{description}: {count} done.")


class ReadOnlyAdmin(ReadOnlyPermissions, RowActions):
    """A table staff read; its actions, and deleting where :meth:`delete_row` is defined, go through services.

    The view permission still shows the pages. An admin that overrides
    :meth:`delete_row` lets staff holding the model's delete permission delete
    rows, one service call per row (the page, the bulk action alike).
    """

    def delete_row(self, obj: Any, actor: Any) -> object:
        """Delete ``obj`` through its service, as ``actor``; not overridden: rows are never deleted here."""
        raise NotImplementedError

    def deletes_rows(self) -> bool:
        return type(self).delete_row is not ReadOnlyAdmin.delete_row

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.deletes_rows() and admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_row(obj, request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for row in queryset:
            self.delete_row(row, request.user)


class ServiceFormAdmin(RowActions):
    """A table staff write with the admin's forms, each save a call to the service that owns the rows.

    Django's own saving is never used: the page's object goes through
    :meth:`save_row`, each row of its inlines through :meth:`save_inline_row`
    or :meth:`delete_inline_row` (all in the admin's one transaction), so every
    change is checked and audited as from the API. :meth:`editable` says
    whether a row may still change (a survey once sent out: no); a row that may
    not is shown read-only, its inlines too. Deleting works as in
    :class:`ReadOnlyAdmin`: only where :meth:`delete_row` is defined.
    """

    def save_row(self, obj: Any, actor: Any) -> object:
        """Create or update ``obj`` (the form's changes applied to it, not saved) through its service."""
        raise NotImplementedError

    def save_inline_row(self, obj: Any, actor: Any) -> object:
        raise NotImplementedError

    def delete_inline_row(self, obj: Any, actor: Any) -> object:
        raise NotImplementedError

    def editable(self, obj: Any) -> bool:
        return True

    def delete_row(self, obj: Any, actor: Any) -> object:
        raise NotImplementedError

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (obj is None or self.editable(obj)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        deletes = type(self).delete_row is not ServiceFormAdmin.delete_row
        return deletes and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        self.save_row(obj, request.user)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        rows = formset.save(commit=False)  # the changed rows, unsaved; deletions listed apart
        for row in formset.deleted_objects:
            self.delete_inline_row(row, request.user)
        for row in rows:
            self.save_inline_row(row, request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_row(obj, request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for row in queryset:
            self.delete_row(row, request.user)


class ReadOnlyInline(ReadOnlyPermissions, admin.TabularInline):
    """Related rows shown on their parent's page, each linking to its own (read-only) page."""

    extra = 0
    can_delete = False
    show_change_link = True


def service_action(
    name: str, description: str, permission: str, call: Callable[[Any, Any], object]
) -> Callable[[RowActions, HttpRequest, QuerySet[Any]], None]:
    """An admin action that calls ``call(row, staff member)`` once for each selected row.

    ``permission`` names the admin's ``has_<permission>_permission`` method that
    decides who sees the action.
    """

    def action(modeladmin: RowActions, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        actor = request.user
        modeladmin.apply_each(request, queryset, lambda row: call(row, actor), description)

    action.__name__ = name
    return admin.action(description=description, permissions=[permission])(action)


def form_action(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    form_class: type[Form],
    run: Callable[[dict[str, Any]], object],
    action: str,
    title: str,
    prompt: str,
    submit_label: str,
) -> TemplateResponse | None:
    """An action that asks first: an intermediate page where ``form_class`` asks what the action needs for the
    selected rows; posted back (with ``apply``) and valid, ``run(cleaned data)`` does it and the list comes back.

    ``action`` names the admin action (the page posts to it again); ``title``, ``prompt`` and
    ``submit_label`` word the page.
    """
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        run(form.cleaned_data)
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "prompt": prompt,
        "submit_label": submit_label,
        "opts": model_admin.model._meta,
        "form": form,
        "objects": list(queryset),
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/action_form.html", context)


# --- every admin change in the audit log ---------------------------------------------------------------

# An action run on more rows than this (a select-across) names the first ACTION_ROWS_MAX, with the count.
ACTION_ROWS_MAX = 500
# Field types whose values an audit event may carry: flags, numbers, choices and references (as ids).
# Free text and dates may be personal (a name, a birth date) and an audit row outlives erasure: for those
# the event names the field only. Fields of other packages (the encrypted ones) are never valued.
_VALUED_FIELDS = (
    models.BooleanField,
    models.IntegerField,
    models.DecimalField,
    models.FloatField,
    models.ForeignKey,
    models.ManyToManyField,
)
_CHANGES_ATTRIBUTE = "_admin_audit_changes"


def _reference(value: Any) -> Any:
    """A related row by id; a permission ("payments.refund_payment") or a group ("support") by name, as read."""
    if isinstance(value, models.Model):
        if value._meta.label_lower == "auth.permission":
            return f"{value.content_type.app_label}.{value.codename}"  # type: ignore[attr-defined]
        if value._meta.label_lower == "auth.group":
            return value.name  # type: ignore[attr-defined]
        return str(value.pk)
    return value


def _key(value: Any) -> str | None:
    return None if value is None else str(_reference(value))


def _valued(field: models.Field[Any, Any] | None) -> bool:
    if field is None or not type(field).__module__.startswith("django."):
        return False
    return bool(field.choices) or isinstance(field, _VALUED_FIELDS)


def admin_form_changes(model: type[models.Model], form: Any) -> dict[str, Any]:
    """What a submitted admin form changed: ``{"fields": [names], "values": {name: change}}``.

    A change is ``{"from": …, "to": …}``, or ``{"added": […], "removed": […]}`` for a many-to-many field.
    ``form.initial`` holds the row as it was when the form was built, ``form.cleaned_data`` what was saved.
    """
    names = list(form.changed_data)
    values: dict[str, Any] = {}
    for name in names:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if not _valued(field):  # type: ignore[arg-type]
            continue
        before, after = form.initial.get(name), form.cleaned_data.get(name)
        if isinstance(field, models.ManyToManyField):
            old = {_reference(row) for row in (before or [])}
            new = {_reference(row) for row in (after or [])}
            values[name] = {"added": sorted(new - old), "removed": sorted(old - new)}
        elif isinstance(field, models.ForeignKey):  # the form's initial is the id, its cleaned data the row
            values[name] = {"from": _key(before), "to": _key(after)}
        else:
            values[name] = {"from": _reference(before), "to": _reference(after)}
    return {"fields": names, "values": values}


def _inline_changes(formsets: Iterable[Any] | None) -> list[dict[str, Any]]:
    """Rows added, changed and deleted on the page's inlines, counted by model (their text may be personal)."""
    rows = []
    for formset in formsets or ():
        counts = {
            "added": len(getattr(formset, "new_objects", ())),
            "changed": len(getattr(formset, "changed_objects", ())),
            "deleted": len(getattr(formset, "deleted_objects", ())),
        }
        if any(counts.values()):
            rows.append({"model": formset.model._meta.label_lower, **counts})
    return rows


def admin_row_added_event(*, actor: Any, row: models.Model, changes: dict[str, Any]) -> None:
    audit_record(action="admin.added", actor=actor, target=row, data={"model": row._meta.label_lower, **changes})


def admin_row_changed_event(*, actor: Any, row: models.Model, changes: dict[str, Any]) -> None:
    audit_record(action="admin.changed", actor=actor, target=row, data={"model": row._meta.label_lower, **changes})


def admin_row_deleted_event(*, actor: Any, row: models.Model) -> None:
    """Recorded before the row goes (Django logs deletions first), in the deletion's transaction."""
    audit_record(action="admin.deleted", actor=actor, target=row, data={"model": row._meta.label_lower})


def admin_action_ran_event(
    *, actor: Any, model: type[models.Model], action: str, row_ids: list[str], count: int
) -> None:
    """One event per row the action ran on (the first :data:`ACTION_ROWS_MAX`), so a row's history shows it."""
    label = model._meta.label_lower
    for row_id in row_ids[:ACTION_ROWS_MAX]:
        audit_record(
            action="admin.action",
            actor=actor,
            target_type=label,
            target_id=row_id,
            data={"model": label, "action": action, "rows": count},
        )


class AuditedAdmin(admin.ModelAdmin):
    """Every change made through the admin lands in the audit log, whoever wrote the admin.

    The admin site (``accounts.admin_site``) puts this in front of every admin
    registered with it, Django's and third parties' included (users, groups,
    waffle's flags, switches and samples). It hooks the places where Django's
    admin writes its own history (``LogEntry``):

    - ``admin.added`` / ``admin.changed``: the row, the fields the form changed
      and, for flags, numbers, choices and references, their values before and
      after (free text is named, never copied: an audit row outlives erasure);
      a password is only ever named. Written in the form's transaction.
    - ``admin.deleted``: each row deleted from its page or with the bulk action,
      before it goes, in the deletion's transaction.
    - ``admin.action``: each row an action ran on (its name says what it did:
      waffle's ``enable_for_all``), once the action is done; an action's
      intermediate page (a confirmation, a form) records nothing until it runs.
      Django's bulk delete is recorded as ``admin.deleted`` rows only.

    Actions and deletions that go through our services are recorded twice on
    purpose: the service's event says what changed in the domain
    (``booking.cancelled``), the admin's that a staff member did it from the
    back office; the two share the request id.
    """

    def construct_change_message(self, request: HttpRequest, form: Any, formsets: Any, add: bool = False) -> Any:
        message = super().construct_change_message(request, form, formsets, add)
        changes = admin_form_changes(self.model, form)
        inlines = _inline_changes(formsets)
        if inlines:
            changes["inlines"] = inlines
        setattr(request, _CHANGES_ATTRIBUTE, changes)
        return message

    def _changes(self, request: HttpRequest) -> dict[str, Any]:
        changes: dict[str, Any] = getattr(request, _CHANGES_ATTRIBUTE, None) or {"fields": [], "values": {}}
        setattr(request, _CHANGES_ATTRIBUTE, None)
        return changes

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_addition(request, obj, message)
        admin_row_added_event(actor=request.user, row=obj, changes=self._changes(request))
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        entry = super().log_change(request, obj, message)
        admin_row_changed_event(actor=request.user, row=obj, changes=self._changes(request))
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        entries = super().log_deletions(request, queryset)
        for row in queryset:
            admin_row_deleted_event(actor=request.user, row=row)
        return entries

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = dict(super().get_actions(request))
        return {name: (_audited_action(func, name), name, text) for name, (func, _, text) in actions.items()}


def _audited_action(func: Callable[..., Any], name: str) -> Callable[..., Any]:
    def run(model_admin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        # The rows before the action runs: it may change what the queryset selects (a status filter).
        row_ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
        if name == "delete_selected":
            # Django logs the rows (admin.deleted, log_deletions) before deleting them: both or neither.
            with transaction.atomic(using=router.db_for_write(model_admin.model)):
                return func(model_admin, request, queryset)
        response = func(model_admin, request, queryset)
        if not isinstance(response, TemplateResponse):
            admin_action_ran_event(
                actor=request.user, model=model_admin.model, action=name, row_ids=row_ids, count=len(row_ids)
            )
        return response

    # What Django reads off an action (permissions, description) stays the original's.
    run.__dict__.update(getattr(func, "__dict__", {}))
    run.__name__ = getattr(func, "__name__", name)
    return run


def audited_admin_class(admin_class: type[admin.ModelAdmin[Any]]) -> type[admin.ModelAdmin[Any]]:
    """``admin_class`` with :class:`AuditedAdmin` in front (the same class when it already has it)."""
    if issubclass(admin_class, AuditedAdmin):
        return admin_class
    attributes = {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__}
    return type(admin_class.__name__, (AuditedAdmin, admin_class), {**attributes, "__doc__": admin_class.__doc__})
