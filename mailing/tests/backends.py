"""Mail backends for the tests: count connections, fail on demand."""

from django.core.mail.backends.locmem import EmailBackend

opened = []
fail_on_subjects = set()


class CountingBackend(EmailBackend):
    """locmem that records each connection opened and refuses messages whose subject is in `fail_on_subjects`."""

    def open(self):
        opened.append(self)
        return True

    def send_messages(self, messages):
        for message in messages:
            if message.subject in fail_on_subjects:
                fail_on_subjects.discard(message.subject)  # refused once, accepted when tried again
                raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)
