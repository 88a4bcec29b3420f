"""Extension points of `orgs` filled by other apps in `AppConfig.ready()`."""

# Entries of the owner's Settings menu: dicts with "key", "label" and "url_name".
settings_menu = []

# Entries of the main menu for every member (owners and trainers): dicts with "key", "label" and "url_name".
main_menu = []
