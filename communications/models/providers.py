"""Other names the public uses for providers: a hospital's own name ("Basildon University Hospital"), a town it
serves, a short name. The register keeps each provider's legal name; people rarely write it. Aliases belong to
communications because they exist to route what the public writes; each is keyed to the organisation.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Organisation


class ProviderAlias(models.Model):
    """Another name by which the public knows a provider. ``key`` is the alias as the matcher compares it
    (``communications.selectors.providers.name_key``): lower case, without punctuation or generic words."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="public_aliases")
    alias = models.CharField(max_length=200)
    key = models.CharField(max_length=200, db_index=True, editable=False)

    class Meta:
        ordering = ["organisation", "alias"]
        verbose_name_plural = "provider aliases"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="provider_alias_unique_key"),
            models.CheckConstraint(name="provider_alias_has_key", condition=~Q(key="")),
        ]

    def __str__(self) -> str:
        return f"{self.alias} ({self.organisation})"
