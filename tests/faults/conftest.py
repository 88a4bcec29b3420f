# The Zoom test helpers (responses-backed `zoom`, settings pointing at api.zoom.us, instant backoff).
from zoom_integration.tests.conftest import no_backoff_sleep, zoom, zoom_settings  # noqa: F401
