"""The caller's own account."""
from views.api.base import api_blueprint, caller
from views.api.schemas import MeSchema

blp = api_blueprint("account", __name__, "Who the token (or session) belongs to.")


@blp.get("/me")
@blp.response(200, MeSchema)
def me():
    """The calling user."""
    return caller()
