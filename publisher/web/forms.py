"""Forms that keep what was typed: a refused form comes back on the same page, each message next
to its field, every value as it was sent (plain re-render, no JavaScript needed).

A route catches what its action refused with :func:`refusal` and renders its page again with the
returned :class:`FormState`; templates read it with ``form.value(...)``, ``form.error(...)`` and
the macros of ``templates/web/_form.html``. Errors that are not about the input (not signed in,
not allowed, not found) are not refusals: they keep their own pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from publisher.core.errors import LaporError
from publisher.web.auth import Forbidden, NotAuthenticated, NotFound, PayloadTooLarge, WebError

# The field of a message about the whole form (shown above its button).
WHOLE_FORM = ""
# Never sent back into a page, whatever a form calls them.
SECRET_FIELDS = frozenset({"password", "csrf_token", "new_password"})


@dataclass(frozen=True)
class FormState:
    """One refused submission: which form of the page (``name``), what was sent, what is
    wrong (field -> message; :data:`WHOLE_FORM` for the form as a whole)."""

    name: str = ""
    values: Mapping[str, object] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    status: int = 200

    def value(self, form: str, name: str, default: object = "") -> object:
        """What was typed into ``name`` of ``form``, else ``default`` (the stored value)."""
        if form != self.name or name in SECRET_FIELDS:
            return default
        return self.values.get(name, default)

    def error(self, form: str, name: str = WHOLE_FORM) -> str:
        return self.errors.get(name, "") if form == self.name else ""

    def has_errors(self, form: str) -> bool:
        return form == self.name and bool(self.errors)


NO_FORM = FormState()


def is_refusal(exc: BaseException) -> bool:
    """Whether ``exc`` refused the input (shown on the form) rather than the person or the
    object (shown on its own page)."""
    if isinstance(exc, NotAuthenticated | Forbidden | NotFound | PayloadTooLarge):
        return False
    return isinstance(exc, LaporError)


def refusal(
    exc: LaporError, form: str, values: Mapping[str, object], *, default_field: str = WHOLE_FORM
) -> FormState:
    """The form state of a refused submission: the error's own field if it names one of the
    form's, else ``default_field``; 400 for bad input, 409 when a rule refused it."""
    where = exc.field if exc.field else default_field
    status = exc.status if isinstance(exc, WebError) else 409
    return FormState(form, dict(values), {where: exc.user_message}, status)
