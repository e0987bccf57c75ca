"""The admin kit every app's admin is built from: writes through services, never a 500.

``ServiceWriteAdmin`` saves through services and shows a refused save as form errors;
``KeySafeAdminMixin`` refuses posted keys that are not keys; ``ServiceInlineFormSet`` saves
inline rows through services; ``badge`` draws the coloured labels.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.models import User
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.errors import STALE_MESSAGE
from core.forms import service_error_messages

if TYPE_CHECKING:
    from django.forms.models import BaseInlineFormSet as _BaseInlineFormSet

    _ModelAdmin = admin.ModelAdmin[Any]
    _ModelForm = forms.ModelForm[Any]
    _InlineFormSet = _BaseInlineFormSet[Any, Any, Any]
else:
    from django.forms.models import BaseInlineFormSet as _InlineFormSet

    _ModelAdmin = admin.ModelAdmin
    _ModelForm = forms.ModelForm


def badge(text: str, colour: str, css_class: str) -> SafeString:
    return format_html(
        '<span class="badge {}" style="display:inline-block;padding:1px 8px;'
        "border-radius:9px;color:#fff;background:{};font-weight:600;white-space:nowrap"
        '">{}</span>',
        css_class,
        colour,
        text,
    )


def acting_user(request: HttpRequest) -> User:
    """The signed-in user the services act for (the admin only lets staff users in)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


class ReadOnlyAdmin:
    """No add, change or delete here; view permission is enough to browse."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Keys posted by the admin's own widgets --------------------------------------------------


def is_key(field: Any, value: Any) -> bool:
    """True if ``value`` can be a value of the model field ``field`` (a key: a UUID, a number)."""
    try:
        field.to_python(value)
    except (ValidationError, TypeError, ValueError):
        return False
    return True


class KeySafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget; a posted value that is not a key shows as no choice.

    The field's own error says what was wrong; Django's widget looked the value up in the
    database to show it again, and a value that is not a key was a 500.
    """

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        target = self.field.target_field
        return super().optgroups(name, [item for item in value if is_key(target, item)], attr)


class KeySafeAdminMixin:
    """Posted keys that are not keys at all are refused like unknown ones, never a 500: the
    rows selected for an action and the choice of an autocomplete field."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs["widget"] = KeySafeAutocompleteSelect(
                db_field,
                self.admin_site,  # type: ignore[attr-defined]
                using=kwargs.get("using"),
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def response_action(
        self, request: HttpRequest, queryset: QuerySet[Any], *args: Any, **kwargs: Any
    ) -> HttpResponse | None:
        key = queryset.model._meta.pk
        if not all(is_key(key, pk) for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)):
            self.message_user(  # type: ignore[attr-defined]
                request,
                "The selection is not one of the listed rows; select them again.",
                messages.WARNING,
            )
            return None  # the change list again, as after an action without a selection
        return super().response_action(request, queryset, *args, **kwargs)  # type: ignore[misc]


# --- Refused writes -------------------------------------------------------------------------


class ServiceRefused(Exception):
    """A service refused a write during an admin save; the transaction is rolled back."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = dict(errors)


def service_refused(
    error: Exception, *, prefix: str = "", field_map: Mapping[str, str] | None = None
) -> ServiceRefused:
    """Wrap a service error: field errors of the main form by field, the rest as text."""
    field_map = field_map or {}
    errors: dict[str, list[str]] = {}
    for name, texts in service_error_messages(error).items():
        if prefix:
            label = "" if name == NON_FIELD_ERRORS else f"{name}: "
            errors.setdefault(NON_FIELD_ERRORS, []).extend(f"{prefix}: {label}{t}" for t in texts)
        else:
            errors.setdefault(field_map.get(name, name), []).extend(texts)
    return ServiceRefused(errors)


# Errors of a refused save, kept for the second rendering of the same request.
_refused_saves: weakref.WeakKeyDictionary[HttpRequest, dict[str, list[str]]] = (
    weakref.WeakKeyDictionary()
)


class ServiceModelForm(_ModelForm):
    """A model form that shows the errors of a refused save (set on a per-request subclass)."""

    refused: ClassVar[dict[str, list[str]]] = {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, texts in self.refused.items():
            target = name if name in self.fields else None
            for text in texts:
                if target is None and name != NON_FIELD_ERRORS:
                    text = f"{name}: {text}"
                self.add_error(target, text)
        return cleaned


class VersionedModelForm(ServiceModelForm):
    """Carries the version the editor saw, so that a stale form is refused, never saved."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding and "seen_version" in self.fields:
            self.fields["seen_version"].required = True
            self.fields["seen_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        if not self.instance._state.adding and seen is not None and seen != self.instance.version:
            self.add_error(None, STALE_MESSAGE)
        return cleaned


class ServiceWriteAdmin(KeySafeAdminMixin, _ModelAdmin):
    """Saves through services; a refused save shows the form again with what was wrong."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # The view's transaction was rolled back, so nothing was saved. Render the same
            # POST again, with the service's errors added to the form.
            _refused_saves[request] = refused.errors
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        refused = _refused_saves.get(request)
        if refused:
            form = type(form.__name__, (form,), {"refused": refused})
        return form

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # never deleted: the history would lose what it refers to


# --- Inline formsets saved through the services --------------------------------------------


def _not_here(**kwargs: Any) -> Any:
    raise PermissionDenied("Rows of this kind cannot be changed this way.")


@dataclass(frozen=True)
class RowServices:
    """The services that add, change and remove one kind of row, and the keyword that names
    the row they change (``appearance=``). A service adding a row takes the form's editable
    fields by name, and the parent by the name of the row's foreign key (``claim=``)."""

    row: str
    add: Callable[..., Any] = _not_here
    update: Callable[..., Any] = _not_here
    remove: Callable[..., Any] = _not_here


class ServiceInlineFormSet(_InlineFormSet):
    """An inline formset whose rows are added, changed and removed by services."""

    # The form fields a service may change, and the services.
    editable: ClassVar[frozenset[str]] = frozenset()
    services: ClassVar[RowServices]

    def service_add(self, *, actor: User, parent: Any, data: dict[str, Any]) -> Any:
        return self.services.add(actor=actor, **{self.fk.name: parent}, **data)

    def service_update(self, *, actor: User, obj: Any, data: dict[str, Any]) -> Any:
        return self.services.update(actor=actor, **{self.services.row: obj}, data=data)

    def service_remove(self, *, actor: User, obj: Any) -> None:
        self.services.remove(actor=actor, **{self.services.row: obj})

    def clean(self) -> None:
        super().clean()
        # Django accepts the id of any row of the table in a listed row, and makes an id that
        # is not one of this formset's rows a new, unsaved object: refuse both.
        if any(form.instance._state.adding for form in self.initial_forms):
            raise ValidationError("A row is not one of this claim's; reload the page.")

    def save_through_services(self, *, actor: User, parent: Any) -> None:
        # The lists Django's change message reads (normally filled by formset.save()).
        self.new_objects: list[Any] = []
        self.changed_objects: list[tuple[Any, list[str]]] = []
        self.deleted_objects: list[Any] = []
        deleted = set(map(id, self.deleted_forms)) if self.can_delete else set()
        for form in self.initial_forms:
            obj = form.instance
            if id(form) in deleted:
                self.service_remove(actor=actor, obj=obj)
                self.deleted_objects.append(obj)
            elif form.has_changed():
                changed = [name for name in form.changed_data if name in self.editable]
                if changed:
                    data = {name: form.cleaned_data[name] for name in changed}
                    self.service_update(actor=actor, obj=obj, data=data)
                    self.changed_objects.append((obj, changed))
        for form in self.extra_forms:
            if not form.has_changed() or id(form) in deleted:
                continue
            data = {name: form.cleaned_data.get(name) for name in self.editable}
            self.new_objects.append(self.service_add(actor=actor, parent=parent, data=data))
