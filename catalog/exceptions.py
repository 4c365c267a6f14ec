"""Catalog errors. Domain and service code raise these; the API renders them in its one
error envelope (docs/glance-differences.md#error-envelope). No DRF or HTTP import here: the
status code is just data on the class."""


class CatalogError(Exception):
    status_code = 500
    default_message = (
        "The server has either erred or is incapable of performing the requested operation."
    )

    def __init__(self, message: str | None = None, details: str = "", headers: dict | None = None):
        self.message = message or self.default_message
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(CatalogError):
    status_code = 400
    default_message = "Bad request."


class Unauthorized(CatalogError):
    status_code = 401
    default_message = "The request you have made requires authentication."


class Forbidden(CatalogError):
    status_code = 403
    default_message = "Access was denied to this resource."


class NotFound(CatalogError):
    status_code = 404
    default_message = "The resource could not be found."


class MethodNotAllowed(CatalogError):
    status_code = 405
    default_message = "The method is not allowed for this resource."


class Conflict(CatalogError):
    status_code = 409
    default_message = "There was a conflict when trying to complete your request."


class Gone(CatalogError):
    status_code = 410
    default_message = "The resource is gone."


class RequestEntityTooLarge(CatalogError):
    status_code = 413
    default_message = "The request is too large."


class UnsupportedMediaType(CatalogError):
    status_code = 415
    default_message = "Unsupported media type."


class RangeNotSatisfiable(CatalogError):
    status_code = 416
    default_message = "Invalid Range header."


class ServiceUnavailable(CatalogError):
    status_code = 503
    default_message = "The service is unavailable."


class InvalidTransition(Conflict):
    """A status change the transition table does not allow."""


class TooManyRequests(CatalogError):
    status_code = 429
    default_message = "Too many requests: try again later."
