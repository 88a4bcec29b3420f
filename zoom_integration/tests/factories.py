from datetime import timedelta

import factory
from django.utils import timezone

from tests.factories import OrganizationFactory
from zoom_integration import crypto
from zoom_integration.models import ZoomConnection


class ZoomConnectionFactory(factory.django.DjangoModelFactory):
    """A connected organization; pass plain `access_token` / `refresh_token`, they are stored encrypted."""

    class Meta:
        model = ZoomConnection

    class Params:
        access_token = factory.Sequence(lambda n: f"zat-stored-access-{n}-9f8e7d")
        refresh_token = factory.Sequence(lambda n: f"zrt-stored-refresh-{n}-1a2b3c")

    organization = factory.SubFactory(OrganizationFactory)
    zoom_user_id = factory.Sequence(lambda n: f"zoomuser{n:04d}AbCdEfGh")
    zoom_account_id = "q6gBJVO5TzexKYTb_I2rpg"
    zoom_email = factory.Sequence(lambda n: f"host{n}@example.com")
    account_type = 2
    status = "connected"
    connected_at = factory.LazyFunction(timezone.now)
    scopes = factory.LazyFunction(lambda: ["user:read:user", "meeting:write:meeting"])
    access_token_encrypted = factory.LazyAttribute(lambda o: crypto.encrypt(o.access_token))
    refresh_token_encrypted = factory.LazyAttribute(lambda o: crypto.encrypt(o.refresh_token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
