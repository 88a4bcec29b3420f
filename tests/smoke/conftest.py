import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "smoke: starts gunicorn, a Celery worker and beat as subprocesses against PostgreSQL and Redis"
    )


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/smoke" in str(item.fspath):
            item.add_marker(pytest.mark.smoke)
