"""The JSON API under /api/v1 (flask-smorest): the OpenAPI document at /api/v1/openapi.json and
a rendering of it for people at /api/v1/docs (Redoc, vendored in static/vendor/redoc)."""
from flask import Flask, request
from flask_smorest import Api

from views.api.base import URL_PREFIX
from views.api.schemas import ErrorSchema

DOCS_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
               "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")


class HelpdeskApi(Api):
    """Errors are answered by each API blueprint (views/api/base.py) and by views/errors.py,
    not by flask-smorest's app-wide handler, which would also answer the HTML pages."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass


def settings(app: Flask) -> dict:
    return {
        "API_TITLE": "Helpdesk API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": URL_PREFIX,
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_REDOC_PATH": "docs",
        "OPENAPI_REDOC_URL": app.static_url_path + "/vendor/redoc/redoc.standalone.js",
        "API_SPEC_OPTIONS": {
            "security": [{"bearerAuth": []}, {"session": []}],
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "`flask --app app users token NAME`, or /account"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "The browser session; writes need X-CSRFToken"},
            }},
        },
    }


def init_api(app: Flask) -> Api:
    """Register the API blueprints and the document."""
    from views.api import account, documents, ticket_actions, tickets
    for key, value in settings(app).items():
        app.config.setdefault(key, value)
    api = HelpdeskApi(app)
    for module in (tickets, ticket_actions, account, documents):
        api.register_blueprint(module.blp)

    @app.after_request
    def docs_policy(response):
        # The rendering loads nothing from elsewhere; the browser is told to refuse if it tried.
        if request.endpoint == "api-docs.openapi_redoc":
            response.headers["Content-Security-Policy"] = DOCS_POLICY
        return response

    return api
