"""Issuing under concurrency against the real PostgreSQL: hooks of one enrolment racing make one certificate."""

import threading

import pytest
from django.db import connection as db_connection

from certificates import services
from certificates.models import Certificate

WORKERS = 6


@pytest.mark.django_db(transaction=True)
def test_racing_issuers_of_one_enrolment_make_one_certificate_and_all_get_it(enrolment, progress):
    assert db_connection.vendor == "postgresql"
    start = threading.Barrier(WORKERS)
    numbers, errors = [], []

    def worker():
        try:
            start.wait()
            numbers.append(services.certificate_issue(enrolment=enrolment, progress=progress).number)
        except Exception as error:
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(numbers) == WORKERS and len(set(numbers)) == 1
    assert Certificate.objects.count() == 1
