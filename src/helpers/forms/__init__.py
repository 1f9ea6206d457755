"""The forms the suite issues to units (daily self-report, organisations' review) and reads back."""

from helpers.forms.identity import FormError, FormIdentity, identify

__all__ = ["FormError", "FormIdentity", "identify"]
