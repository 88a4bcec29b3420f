"""In the embedded default (SQLite) the simulator keeps its own database file.

The product holds SQLite's single write lock while it waits for "Zoom" to
answer; with one file the simulator could not write its answer. Real Zoom has
its own storage too, so this is also the more faithful arrangement.
"""

DATABASE = "zoom_simulator"
APP_LABEL = "zoom_simulator"


class SimulatorRouter:
    def db_for_read(self, model, **hints):
        return DATABASE if model._meta.app_label == APP_LABEL else None

    def db_for_write(self, model, **hints):
        return DATABASE if model._meta.app_label == APP_LABEL else None

    def allow_relation(self, first, second, **hints):
        return None

    def allow_migrate(self, db, app_label, **hints):
        if app_label == APP_LABEL:
            return db == DATABASE
        return db != DATABASE
