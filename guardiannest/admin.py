"""The back office's building blocks: tables staff read, and change only through the services that own them.

Nothing in the admin writes a row itself. A table is read-only whatever the
staff member's permissions (:class:`ReadOnlyAdmin`, :class:`ReadOnlyInline`);
deleting, where staff may, and every action call a service, so each change is
checked, locked and audited the same way as from the API. Django's admin
imports this module as the ``guardiannest`` app's admin: it registers nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest
from django.template.response import TemplateResponse

from guardiannest.errors import ApplicationError


class ReadOnlyPermissions:
    """No adding, changing or deleting here, whatever the user's permissions (admins and inlines alike)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin):
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


class ServiceFormAdmin(admin.ModelAdmin):
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
) -> Callable[[ReadOnlyAdmin, HttpRequest, QuerySet[Any]], None]:
    """An admin action that calls ``call(row, staff member)`` once for each selected row.

    ``permission`` names the admin's ``has_<permission>_permission`` method that
    decides who sees the action.
    """

    def action(modeladmin: ReadOnlyAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        actor = request.user
        modeladmin.apply_each(request, queryset, lambda row: call(row, actor), description)

    action.__name__ = name
    return admin.action(description=description, permissions=[permission])(action)


def action_form_page(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    form: Form,
    action: str,
    title: str,
    prompt: str,
    submit_label: str,
) -> TemplateResponse:
    """An action's intermediate page: ``form`` asks what the action needs for the selected rows before it runs.

    The action posts back with ``apply`` set; it runs once ``form`` is valid (the caller checks).
    """
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
