from django.core.management.base import BaseCommand, CommandError

from certificates import signing
from certificates.selectors import certificate_counts_by_key


class Command(BaseCommand):
    help = (
        "List the keys of CERTIFICATE_SIGNING_KEYS by id (never the keys themselves) with how many certificates each "
        "signed, and fail if any certificate was signed by a key no longer configured. Run it before removing a key."
    )

    def handle(self, *args, **options):
        configured = list(signing.public_keys())
        counts = certificate_counts_by_key()
        for position, key_id in enumerate(configured):
            role = "signs and verifies" if position == 0 else "verifies"
            self.stdout.write(f"{key_id}  {role}  {counts.get(key_id, 0)} certificate(s)")
        missing = {key_id: count for key_id, count in counts.items() if key_id not in configured}
        if missing:
            listed = ", ".join(f"{key_id} ({count})" for key_id, count in sorted(missing.items()))
            raise CommandError(
                f"Certificates signed by keys no longer in CERTIFICATE_SIGNING_KEYS cannot be verified: {listed}. "
                "Put those keys back (after the first)."
            )
