import pytest

from zoom_simulator import services
from zoom_simulator.webhooks import webhooks_captured


@pytest.fixture
def zoom_user(db):
    return services.user_get_or_create(email="trainer@example.com", first_name="Tina", last_name="Trainer")


@pytest.fixture
def tokens(zoom_user):
    return services.grant_issue(user=zoom_user)


@pytest.fixture
def api(client, tokens):
    """The Django test client with the bearer token set, calling /zoomsim/v2 paths."""

    class Api:
        def __init__(self, access_token):
            self.headers = {"Authorization": f"Bearer {access_token}"}

        def call(self, method, path, body=None, **extra):
            kwargs = {"headers": self.headers, **extra}
            if body is not None:
                kwargs.update(data=body, content_type="application/json")
            return getattr(client, method)(f"/zoomsim/v2{path}", **kwargs)

    return Api(tokens["access_token"])


@pytest.fixture
def captured():
    with webhooks_captured() as requests:
        yield requests


@pytest.fixture
def meeting(zoom_user):
    return services.meeting_create(
        host=zoom_user,
        topic="CPR refresher",
        settings_values={"approval_type": 1},
        count_against_limit=False,
    )
