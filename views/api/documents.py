"""The pinned SLA and Service Catalog documents, readable by everyone."""
from flask import abort

from models import Pin
from services import documents
from views.api.base import Extended, api_blueprint
from views.api.schemas import DocumentSchema

blp = api_blueprint("documents", __name__, "The pinned SLA and Service Catalog.", public=True)


def _pinned(pin: Pin):
    document = documents.pinned(pin)
    if document is None:
        abort(404)
    return Extended(document, html=str(documents.render_markdown(document.body)))


@blp.get("/documents/sla")
@blp.doc(security=[])
@blp.response(200, DocumentSchema)
def sla():
    """The pinned SLA: title, Markdown source and sanitised HTML."""
    return _pinned(Pin.SLA)


@blp.get("/documents/service-catalog")
@blp.doc(security=[])
@blp.response(200, DocumentSchema)
def service_catalog():
    """The pinned Service Catalog: title, Markdown source and sanitised HTML."""
    return _pinned(Pin.CATALOG)
