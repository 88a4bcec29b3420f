"""Extension points of `orgs` filled by other apps in `AppConfig.ready()`."""

# Entries of the owner's Settings menu: dicts with "key", "label" and "url_name".
settings_menu = []

# Entries a trainer (not an owner) gets in the main menu: dicts with "key", "label" and "url_name".
trainer_menu = []
