"""Refusals the simulator answers with Zoom's status codes and bodies."""


class ApiError(Exception):
    """A REST refusal: HTTP `status` with body {"code", "message"[, "errors"]}."""

    def __init__(self, *, status, code, message, errors=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self):
        body = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


class OAuthError(Exception):
    """A refusal of /oauth/token or /oauth/revoke: body {"reason", "error"}."""

    def __init__(self, *, reason_and_error, status=400):
        reason, error = reason_and_error
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.error = error

    def body(self):
        return {"reason": self.reason, "error": self.error}
