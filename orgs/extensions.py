"""Extension points of `orgs` filled by other apps in `AppConfig.ready()`."""

# Entries of the owner's Settings menu: dicts with "key", "label" and "url_name".
settings_menu = []
