"""The crudbench contract served by Flask: the Flask peer.

One app, two data-access modes chosen at start by CRUDBENCH_MODE: "raw"
(psycopg 3 and psycopg_pool, the statements of rawsql) or "orm"
(SQLAlchemy 1.4 ORM over psycopg2). CRUDBENCH_DSN is the database.
Served by gunicorn (gunicorn.conf.py, "app:create_app()") or, as
`python3 app.py --port N`, by Flask's development server.
"""

import logging
import os
import re
import sys
from urllib.parse import unquote_to_bytes

from flask import Flask, Response, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

import contract as c

log = logging.getLogger("crudbench")

# The order Go's handler lists allowed methods in.
_ALLOW_ORDER = ("GET", "POST", "PATCH", "DELETE")


def _answer(status, value):
    c.check_representable(value)
    return Response(c.dumps(value), status=status, mimetype="application/json")


def _fail(e):
    resp = Response(c.error_json(e), status=c.STATUSES.get(e.code, 500), mimetype="application/json")
    if e.allow:
        resp.headers["Allow"] = e.allow
    return resp


def _raw_path():
    """The path as the client sent it, escapes and all (a str of bytes):
    WSGI's PATH_INFO is decoded, and Werkzeug's development server puts
    U+FFFD in it for bytes that are not UTF-8."""
    env = request.environ
    raw = env.get("RAW_URI") or env.get("REQUEST_URI")
    if not raw:
        return env.get("PATH_INFO", "").replace("%", "%25")
    raw = raw.split("?", 1)[0]
    if not raw.startswith("/"):  # absolute form: http://host/path
        raw = "/" + raw.split("/", 3)[3] if raw.count("/") >= 3 else "/"
    return raw


def _decode(raw):
    return unquote_to_bytes(raw.encode("latin-1", "replace")).decode("utf-8", "surrogateescape")


def _path():
    """The request's decoded path, as Go's URL.Path; undecodable bytes as
    surrogate escapes."""
    return _decode(_raw_path())


class _KeepEncodedSlash:
    """WSGI decodes %2F in PATH_INFO into a "/", which Go's router does not
    (a segment "1%2F2" is the id "1/2"). When the request's own path holds
    one, this gives Flask a PATH_INFO with only %2F and % left encoded, to
    route on; the handlers read the path from the request line itself."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        raw = (environ.get("RAW_URI") or environ.get("REQUEST_URI") or "").split("?", 1)[0]
        if "%2f" in raw.lower():
            parts = re.split("(?i)%2f", raw)
            environ["PATH_INFO"] = "%2F".join(unquote_to_bytes(p).decode("latin-1").replace("%", "%25") for p in parts)
        return self.app(environ, start_response)


def _query():
    return c.parse_query(request.environ.get("QUERY_STRING", ""))


def _body(fields, many=False):
    """Reads and decodes the request body as decodeBody does."""
    c.check_envelope(request.headers.get("Content-Type", ""), request.headers.get("Content-Encoding", ""))
    data = request.stream.read(c.MAX_BODY_BYTES + 1)
    if len(data) > c.MAX_BODY_BYTES:
        raise c.too_large()
    return c.decode(data, fields, many)


def create_app(mode=None, dsn=None):
    """Returns the app over the store of mode ("raw" or "orm") on dsn;
    both default to the environment."""
    mode = mode or os.environ.get("CRUDBENCH_MODE", "raw")
    dsn = dsn or os.environ["CRUDBENCH_DSN"]
    if mode == "raw":
        import store_raw
        store = store_raw.Store(dsn)
    elif mode == "orm":
        import store_orm
        store = store_orm.Store(dsn)
    else:
        raise SystemExit("CRUDBENCH_MODE must be raw or orm, not %r" % mode)

    app = Flask(__name__)
    app.wsgi_app = _KeepEncodedSlash(app.wsgi_app)
    app.url_map.merge_slashes = False
    opts = {"provide_automatic_options": False}

    @app.before_request
    def check_request():
        _query()  # a query string that does not parse is refused on every path

    @app.errorhandler(c.APIError)
    def api_error(e):
        return _fail(e)

    @app.errorhandler(NotFound)
    def not_found(e):
        return _fail(c.APIError("not_found", "No such path: %s." % c.truncate(_path(), 40)))

    @app.errorhandler(MethodNotAllowed)
    def not_allowed(e):
        allow = ", ".join(m for m in _ALLOW_ORDER if m in (e.valid_methods or ()))
        return _fail(c.APIError("not_allowed", "Method %s is not allowed on %s; use %s." % (
            c.truncate(request.method, 40), c.truncate(_path(), 40), allow), allow=allow))

    @app.errorhandler(Exception)
    def internal(e):
        if isinstance(e, c.APIError):
            return _fail(e)
        err = store.translate(e)
        if err is None:
            log.exception("internal error: %s %s", request.method, request.path)
            err = c.APIError("internal", "Internal error.")
        return _fail(err)

    @app.teardown_request
    def drain(_exc):
        # The development server keeps a connection alive after a body it
        # did not read; gunicorn discards it itself.
        try:
            request.stream.read()
        except Exception:  # noqa: BLE001 - the connection is gone anyway
            pass

    @app.get("/healthz", **opts)
    def healthz():
        return _answer(200, {"status": "ok"})

    @app.post("/users", **opts)
    def create_user():
        name, email, age = c.user_create(_body(c.USER_CREATE))
        return _answer(201, store.create_user(name, email, age))

    @app.get("/users", **opts)
    def list_users():
        q = _query()
        after = 0
        s = q.get("after", "")
        if s:
            n = c.parse_int64(s)
            if n is None or n < 0:
                raise c.invalid("Invalid after %s: give the last id of the previous page (0 or more)." % c.goquote(c.truncate(s, 40)))
            after = n
        limit = c.DEFAULT_LIMIT
        s = q.get("limit", "")
        if s:
            n = c.parse_int64(s)
            if n is None or n < 1 or n > c.MAX_LIMIT:
                raise c.invalid("Invalid limit %s: give 1 to %d." % (c.goquote(c.truncate(s, 40)), c.MAX_LIMIT))
            limit = n
        users = store.list_users(after, limit)
        return _answer(200, {"items": users, "next": users[-1]["id"] if len(users) == limit else None})

    @app.get("/users/<uid>", **opts)
    def get_user(uid):
        uid = c.parse_id(_segment())
        inc = _query().get("include", "")
        if inc == "":
            return _answer(200, store.user(uid))
        if inc == "posts":
            return _answer(200, store.user_with_posts(uid))
        raise c.invalid("Cannot include %s; the only choice is include=posts." % c.goquote(c.truncate(inc, 40)))

    @app.patch("/users/<uid>", **opts)
    def update_user(uid):
        uid = c.parse_id(_segment())
        name, email, age = c.user_patch(_body(c.USER_PATCH))
        return _answer(200, store.update_user(uid, name, email, age))

    @app.delete("/users/<uid>", **opts)
    def delete_user(uid):
        store.delete_user(c.parse_id(_segment()))
        return Response(status=204)

    @app.post("/users/bulk", **opts)
    def create_users():
        items = c.user_creates(_body(c.USER_CREATE, many=True))
        return _answer(201, {"items": store.create_users(items)})

    @app.get("/users/bulk", **opts)
    def get_users():
        ids = c.parse_ids(_query().get("ids", ""))
        return _answer(200, {"items": store.users_by_id(ids)})

    @app.patch("/users/bulk", **opts)
    def update_users():
        items = c.user_updates(_body(c.USER_UPDATE, many=True))
        return _answer(200, {"items": store.update_users(items)})

    @app.delete("/users/bulk", **opts)
    def delete_users():
        ids = c.parse_ids(_query().get("ids", ""))
        return _answer(200, {"deleted": store.delete_users(ids)})

    @app.post("/users/<uid>/posts", **opts)
    def create_post(uid):
        uid = c.parse_id(_segment())
        title, body = c.post_create(_body(c.POST_CREATE))
        return _answer(201, store.create_post(uid, title, body))

    return app


def _segment():
    """The id segment of /users/{id}[/posts] as Go's PathValue has it:
    split before it is decoded, so that %2F stays in it."""
    return _decode(_raw_path().split("/")[2])


def main():
    import argparse
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--host", default="127.0.0.1")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    create_app().run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
