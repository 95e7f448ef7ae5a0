"""Pages for everyone: home, the pinned SLA and Service Catalog, public articles, health."""
from flask import Blueprint, abort, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select, text

from models import Document, Pin, db
from services import accounts, documents, intake
from views.auth import safe_next

bp = Blueprint("public", __name__)

KB_PAGE_SIZE = 50


@bp.get("/")
def index():
    return render_template("public/index.html")


@bp.get("/sla")
def sla():
    return _pinned(Pin.SLA)


@bp.get("/service-catalog")
def service_catalog():
    return _pinned(Pin.CATALOG)


def _pinned(pin: Pin):
    document = documents.pinned(pin)
    return render_template("public/document.html", document=document, pin=pin)


@bp.get("/kb/")
def kb_index():
    query = (request.args.get("q") or "").strip()[:100]
    statement = (select(Document).where(documents.readable_documents(current_user))
                 .order_by(Document.title, Document.id).limit(KB_PAGE_SIZE))
    if query:
        statement = statement.where(Document.title.icontains(query, autoescape=True)
                                    | Document.body.icontains(query, autoescape=True))
    return render_template("public/kb_index.html", documents=db.session.scalars(statement).all(),
                           query=query)


@bp.get("/kb/suggest")
def kb_suggest():
    """Public articles for what a customer is typing as a ticket title (JSON)."""
    found = intake.suggest_articles((request.args.get("q") or "")[:200])
    return jsonify(items=[{"title": d.title, "url": url_for("public.kb_document", document_id=d.id)}
                          for d in found])


@bp.get("/kb/<int:document_id>")
def kb_document(document_id: int):
    document = db.session.get(Document, document_id)
    if document is None or not documents.can_read(current_user, document):
        abort(404)
    return render_template("public/document.html", document=document, pin=None)


@bp.post("/language")
def set_language():
    """Switch the interface language (kept on the profile when signed in)."""
    language = request.form.get("language")
    if language in accounts.LANGUAGES:
        if current_user.is_authenticated:  # the account holds it
            accounts.choose_language(current_user, language)
            db.session.commit()
        else:  # until signing in, which gives it to the account
            session["language"] = language
    return redirect(safe_next(request.form.get("next"), url_for("public.index")))


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")
