"""Zoom is never called while a database transaction is open.

A slow Zoom (up to the client's timeouts times its attempts) would otherwise hold the
transaction's row locks, and a rollback after Zoom acted would forget what Zoom did.
Writers commit a claimed state, call Zoom, then write the result.
"""

from django.db import connections


class ZoomCalledInTransaction(RuntimeError):
    pass


def outside_transaction_check():
    """Raise ZoomCalledInTransaction when a transaction is open on any database (a test case's own does not count)."""
    for alias in connections:
        connection = connections[alias]
        if any(not block._from_testcase for block in connection.atomic_blocks):
            raise ZoomCalledInTransaction(f"Zoom called inside a transaction on database {alias!r}.")
