"""Fail-closed tenancy.

A tenant-owned model's default manager returns *nothing* until a scope is given:
`Model.objects.for_user(user)` (their organisation; provider staff see all) or
`Model.objects.unrestricted()` for system jobs that must see every tenant. A view or
task that forgets to scope therefore shows an empty list, never another municipality's
data (NetBox's opt-in restriction leaked exactly this way).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TenancyError(Exception):
    """Raised when scoped data is asked for without a usable scope."""


def is_provider_staff(user):
    organisation = getattr(user, "organisation", None)
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and organisation is not None
        and organisation.is_provider
    )


class TenantQuerySet(models.QuerySet):
    # Field path from this model to its owning organisation; models may override.
    organisation_field = "organisation"

    def for_organisation(self, organisation):
        return self.filter(**{self.organisation_field: organisation})

    def visible_to(self, user):
        """Narrow an unrestricted queryset to what `user` may see.

        Subclasses narrow further per model (an employee sees only their own calls).
        """
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_provider_staff(user):
            return self
        if user.organisation_id is None:
            return self.none()
        return self.filter(**{f"{self.organisation_field}_id": user.organisation_id})


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Default manager: nothing without a scope."""

    def get_queryset(self):
        return super().get_queryset().none()

    def _everything(self):
        return super().get_queryset()

    def unrestricted(self):
        """Every tenant's rows, for system jobs and provider-wide reports. Grep for it."""
        return self._everything()

    def for_user(self, user):
        return self._everything().visible_to(user)


class TenantOwnedModel(models.Model):
    """Base for rows that belong to one organisation (participant or provider)."""

    organisation = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )

    objects = TenantManager()
    # Django internals (cascades, related descriptors) use the base manager.
    all_objects = models.Manager()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"
