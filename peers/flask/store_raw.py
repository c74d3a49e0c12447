"""Raw SQL on psycopg 3 with psycopg_pool: the statements of rawsql
(rawsql/statements.go), with psycopg's placeholders."""

import re

import psycopg
import psycopg_pool
from psycopg import errors
from psycopg.adapt import Loader

import contract as c

USER_COLS = "id, name, email, age, created_at, updated_at"

CREATE_USER = "INSERT INTO users (name, email, age) VALUES (%s, %s, %s) RETURNING " + USER_COLS
USER = "SELECT " + USER_COLS + " FROM users WHERE id = %s"
UPDATE_USER = """UPDATE users SET name = COALESCE(%(name)s, name), email = COALESCE(%(email)s, email),
    age = COALESCE(%(age)s::int, age), updated_at = now() WHERE id = %(id)s RETURNING """ + USER_COLS
DELETE_USER = "DELETE FROM users WHERE id = %s"
LIST_USERS = "SELECT " + USER_COLS + " FROM users WHERE id > %s ORDER BY id LIMIT %s"
CREATE_USERS = """WITH ins AS (
    INSERT INTO users (name, email, age)
    SELECT name, email, age FROM unnest(%s::text[], %s::text[], %s::int[]) WITH ORDINALITY AS v(name, email, age, ord)
    ORDER BY ord
    RETURNING """ + USER_COLS + """)
SELECT """ + USER_COLS + " FROM ins ORDER BY id"
USERS_BY_ID = "SELECT " + USER_COLS + " FROM users WHERE id = ANY(%s::bigint[]) ORDER BY id"
UPDATE_USERS = """UPDATE users u SET name = COALESCE(v.name, u.name), email = COALESCE(v.email, u.email),
    age = COALESCE(v.age, u.age), updated_at = now()
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::int[]) AS v(id, name, email, age)
WHERE u.id = v.id
RETURNING u.id, u.name, u.email, u.age, u.created_at, u.updated_at"""
DELETE_USERS = "DELETE FROM users WHERE id = ANY(%s::bigint[])"
FREE_EMAILS = """UPDATE users SET email = CASE WHEN id = ANY(%s::bigint[]) THEN '#' || id ELSE email END
WHERE id = ANY(%s::bigint[]) RETURNING id"""
CREATE_POST = "INSERT INTO posts (user_id, title, body) VALUES (%s, %s, %s) RETURNING id, created_at"
USER_WITH_POSTS = """SELECT u.id, u.name, u.email, u.age, u.created_at, u.updated_at,
    p.id, p.title, p.body, p.created_at
FROM users u LEFT JOIN posts p ON p.user_id = u.id
WHERE u.id = %s ORDER BY p.id"""


class StampLoader(Loader):
    """Loads timestamptz as contract.Stamp, whatever its year."""

    def load(self, data):
        return c.Stamp(bytes(data).decode())


psycopg.adapters.register_loader("timestamptz", StampLoader)


def email_taken(e):
    """The conflict error of a unique violation on users, as pgerr words it."""
    d = e.diag
    if d.table_name == "users":
        m = re.fullmatch(r"Key \(email\)=\((.*)\) already exists\.", d.message_detail or "", re.S)
        if m:
            return c.APIError("conflict", "Email %s is already taken." % c.goquote(m.group(1)))
        return c.APIError("conflict", "The email is already taken.")
    return None


def translate(e):
    """The API error of a database failure, or None for an internal one."""
    if isinstance(e, errors.UniqueViolation):
        return email_taken(e)
    if isinstance(e, errors.QueryCanceled):
        return c.APIError("timeout", c.TIMEOUT)
    if isinstance(e, (errors.DeadlockDetected, errors.SerializationFailure)):
        return c.APIError("conflict", "The request conflicted with a concurrent one and was not applied; try again.")
    if isinstance(e, (psycopg.OperationalError, psycopg_pool.PoolTimeout)):
        return c.APIError("unavailable", c.UNAVAILABLE)
    return None


class Store:
    """The data access of the raw mode: one pool of autocommit connections;
    a statement is its own transaction, a bulk update an explicit one."""

    def __init__(self, dsn, size=None):
        size = size or int(c.os_env("CRUDBENCH_POOL", "4"))
        self.pool = psycopg_pool.ConnectionPool(
            dsn, min_size=size, max_size=size, timeout=5, open=True,
            kwargs={"autocommit": True, "options": "-c statement_timeout=5000 -c TimeZone=UTC"})

    translate = staticmethod(translate)

    def _one(self, sql, args):
        with self.pool.connection() as conn:
            return conn.execute(sql, args).fetchone()

    def _all(self, sql, args):
        with self.pool.connection() as conn:
            return conn.execute(sql, args).fetchall()

    def create_user(self, name, email, age):
        return c.user_json(self._one(CREATE_USER, (name, email, age)))

    def user(self, uid):
        row = self._one(USER, (uid,))
        if row is None:
            raise c.not_found(uid)
        return c.user_json(row)

    def update_user(self, uid, name, email, age):
        row = self._one(UPDATE_USER, {"id": uid, "name": name, "email": email, "age": age})
        if row is None:
            raise c.not_found(uid)
        return c.user_json(row)

    def delete_user(self, uid):
        with self.pool.connection() as conn:
            if conn.execute(DELETE_USER, (uid,)).rowcount == 0:
                raise c.not_found(uid)

    def list_users(self, after, limit):
        return [c.user_json(r) for r in self._all(LIST_USERS, (after, limit))]

    def create_users(self, items):
        names, emails, ages = (list(col) for col in zip(*items))
        return [c.user_json(r) for r in self._all(CREATE_USERS, (names, emails, ages))]

    def users_by_id(self, ids):
        return [c.user_json(r) for r in self._all(USERS_BY_ID, (ids,))]

    def update_users(self, items):
        ids = [it[0] for it in items]
        changing = [it[0] for it in items if it[2] is not None]
        try:
            with self.pool.connection() as conn, conn.transaction():
                if changing:
                    found = {r[0] for r in conn.execute(FREE_EMAILS, (changing, ids))}
                    for uid in ids:
                        if uid not in found:
                            raise c.not_found(uid)
                cols = [list(col) for col in zip(*items)]
                rows = conn.execute(UPDATE_USERS, cols).fetchall()
                by_id = {r[0]: r for r in rows}
                for uid in ids:
                    if uid not in by_id:
                        raise c.not_found(uid)
        except errors.UniqueViolation as e:
            if e.diag.table_name == "users":
                raise c.APIError("conflict", c.EMAIL_CONFLICT) from None
            raise
        return [c.user_json(by_id[uid]) for uid in ids]

    def delete_users(self, ids):
        with self.pool.connection() as conn:
            return conn.execute(DELETE_USERS, (ids,)).rowcount

    def create_post(self, uid, title, body):
        try:
            pid, created = self._one(CREATE_POST, (uid, title, body))
        except errors.ForeignKeyViolation:
            raise c.not_found(uid) from None
        return c.post_json((pid, uid, title, body, created))

    def user_with_posts(self, uid):
        rows = self._all(USER_WITH_POSTS, (uid,))
        if not rows:
            raise c.not_found(uid)
        posts = [c.post_json((r[6], uid, r[7], r[8], r[9])) for r in rows if r[6] is not None]
        return c.user_json(rows[0], posts)
