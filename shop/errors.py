"""The storefront API's exception handler: every error in the one JSON shape of common.errors.error_json."""
from common.http import error_response


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: domain errors by their HTTP status, boundary failures as 503, anything else 500."""
    return error_response(exc, context.get("request"))
