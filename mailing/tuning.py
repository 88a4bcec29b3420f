"""Our choices for sending email (not facts of any mail server)."""

# A batch renders and sends this many messages over one mail connection.
MAIL_BATCH = 100
# An unreachable mail server is tried again after 15 s, 30 s, 60 s ... up to 10 minutes, six times in all.
MAIL_RETRIES = 5
MAIL_RETRY_BACKOFF = 15
MAIL_RETRY_BACKOFF_MAX = 600
