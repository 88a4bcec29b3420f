"""Writing many rows' fields in one statement."""

from django.db import connection


def rows_update(model, rows, fields):
    """Write these fields of these rows. One row: a plain UPDATE. Many: one UPDATE ... FROM (VALUES ...) on
    PostgreSQL, which costs about nothing to build where bulk_update's CASE per field and row takes longer to
    compose than the database takes to run it. `fields` are field names (a foreign key by its name)."""
    rows = list(rows)
    if len(rows) == 1:
        rows[0].save(update_fields=fields)
    elif rows and connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields)
    elif rows:
        quote = connection.ops.quote_name
        pk = model._meta.pk
        columns = [pk, *(model._meta.get_field(name) for name in fields)]
        row_sql = "(" + ", ".join(f"%s::{column.db_type(connection)}" for column in columns) + ")"
        names = ", ".join(quote(column.column) for column in columns)
        assignments = ", ".join(f"{quote(column.column)} = v.{quote(column.column)}" for column in columns[1:])
        sql = (
            f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "
            f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v ({names}) "
            f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}"
        )
        params = [
            column.get_db_prep_save(getattr(row, column.attname), connection) for row in rows for column in columns
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
