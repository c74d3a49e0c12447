"""SQLAlchemy 1.4 ORM over psycopg2: mapped classes, a session per
request, RETURNING and batched INSERT where 1.4 offers them, selectinload
for a user's posts."""

import psycopg2
from sqlalchemy import (BigInteger, Column, DateTime, ForeignKey, Integer, Text, create_engine, delete, exc,
                        func, select, update)
from sqlalchemy.orm import Session, declarative_base, relationship, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.expression import cast

import contract as c
from store_raw import email_taken

# timestamptz as contract.Stamp, whatever its year (psycopg2 gives a
# datetime, which cannot hold them all).
psycopg2.extensions.register_type(psycopg2.extensions.new_type(
    (1184,), "CRUDBENCH_STAMP", lambda value, _cur: None if value is None else c.Stamp(value)))

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    # eager_defaults: the server's created_at/updated_at come back with the
    # INSERT or UPDATE (RETURNING), not from a later SELECT.
    __mapper_args__ = {"eager_defaults": True}

    id = Column(BigInteger, primary_key=True)
    name = Column(Text, nullable=False)
    email = Column(Text, nullable=False, unique=True)
    age = Column(Integer, nullable=False, server_default="0")
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    posts = relationship("Post", order_by="Post.id", passive_deletes=True, lazy="raise")

    def row(self):
        return (self.id, self.name, self.email, self.age, self.created_at, self.updated_at)


class Post(Base):
    __tablename__ = "posts"
    __mapper_args__ = {"eager_defaults": True}

    id = Column(BigInteger, primary_key=True)
    title = Column(Text, nullable=False)
    body = Column(Text, nullable=False, server_default="")
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    user_id = Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)

    def row(self):
        return (self.id, self.user_id, self.title, self.body, self.created_at)


def translate(e):
    """The API error of a database failure, or None for an internal one."""
    orig = getattr(e, "orig", None)
    if isinstance(orig, psycopg2.errors.UniqueViolation):
        return email_taken(orig)
    if isinstance(orig, psycopg2.errors.QueryCanceled):
        return c.APIError("timeout", c.TIMEOUT)
    if isinstance(orig, (psycopg2.errors.DeadlockDetected, psycopg2.errors.SerializationFailure)):
        return c.APIError("conflict", "The request conflicted with a concurrent one and was not applied; try again.")
    if isinstance(e, (exc.OperationalError, exc.TimeoutError)) or isinstance(orig, psycopg2.OperationalError):
        return c.APIError("unavailable", c.UNAVAILABLE)
    return None


class Store:
    """The data access of the ORM mode: one engine (its pool as large as a
    worker's threads), one session and transaction per request."""

    def __init__(self, dsn, size=None):
        size = size or int(c.os_env("CRUDBENCH_POOL", "4"))
        url = dsn.replace("postgres://", "postgresql+psycopg2://", 1).replace("postgresql://", "postgresql+psycopg2://", 1)
        self.engine = create_engine(url, future=True, pool_size=size, max_overflow=0, pool_timeout=5,
                                    pool_pre_ping=False, connect_args={"options": "-c statement_timeout=5000 -c TimeZone=UTC"})

    translate = staticmethod(translate)

    def session(self):
        # expire_on_commit=False: the objects are read into the answer
        # after the commit without another SELECT.
        return Session(self.engine, future=True, expire_on_commit=False)

    def create_user(self, name, email, age):
        with self.session() as s, s.begin():
            u = User(name=name, email=email, age=age)
            s.add(u)
        return c.user_json(u.row())

    def user(self, uid):
        with self.session() as s:
            u = s.get(User, uid)
            if u is None:
                raise c.not_found(uid)
            return c.user_json(u.row())

    def update_user(self, uid, name, email, age):
        with self.session() as s, s.begin():
            u = s.get(User, uid)
            if u is None:
                raise c.not_found(uid)
            _patch(u, name, email, age)
        return c.user_json(u.row())

    def delete_user(self, uid):
        with self.session() as s, s.begin():
            if s.execute(delete(User).where(User.id == uid)).rowcount == 0:
                raise c.not_found(uid)

    def list_users(self, after, limit):
        with self.session() as s:
            users = s.scalars(select(User).where(User.id > after).order_by(User.id).limit(limit))
            return [c.user_json(u.row()) for u in users]

    def create_users(self, items):
        # One flush: psycopg2's execute_values batches the INSERT with
        # RETURNING, ids drawn in input order.
        with self.session() as s, s.begin():
            users = [User(name=n, email=e, age=a) for n, e, a in items]
            s.add_all(users)
        return [c.user_json(u.row()) for u in users]

    def users_by_id(self, ids):
        with self.session() as s:
            users = s.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))
            return [c.user_json(u.row()) for u in users]

    def update_users(self, items):
        try:
            with self.session() as s, s.begin():
                ids = [it[0] for it in items]
                found = {u.id: u for u in s.scalars(select(User).where(User.id.in_(ids)).with_for_update())}
                for uid in ids:
                    if uid not in found:
                        raise c.not_found(uid)
                changing = [it[0] for it in items if it[2] is not None]
                if changing:
                    # Free the emails that change first, so that swaps and
                    # rotations within the batch do not collide midway.
                    s.execute(update(User).where(User.id.in_(changing)).values(email="#" + cast(User.id, Text))
                              .execution_options(synchronize_session=False))
                    for uid in changing:
                        # What the row now holds, so that an email set to
                        # its old value is written back too.
                        set_committed_value(found[uid], "email", "#%d" % uid)
                for uid, name, email, age in items:
                    _patch(found[uid], name, email, age)
        except exc.IntegrityError as e:
            if isinstance(e.orig, psycopg2.errors.UniqueViolation):
                raise c.APIError("conflict", c.EMAIL_CONFLICT) from None
            raise
        return [c.user_json(found[it[0]].row()) for it in items]

    def delete_users(self, ids):
        with self.session() as s, s.begin():
            return s.execute(delete(User).where(User.id.in_(ids))).rowcount

    def create_post(self, uid, title, body):
        try:
            with self.session() as s, s.begin():
                p = Post(user_id=uid, title=title, body=body)
                s.add(p)
        except exc.IntegrityError as e:
            if isinstance(e.orig, psycopg2.errors.ForeignKeyViolation):
                raise c.not_found(uid) from None
            raise
        return c.post_json(p.row())

    def user_with_posts(self, uid):
        with self.session() as s:
            u = s.scalars(select(User).options(selectinload(User.posts)).where(User.id == uid)).first()
            if u is None:
                raise c.not_found(uid)
            return c.user_json(u.row(), [c.post_json(p.row()) for p in u.posts])


def _patch(u, name, email, age):
    """Applies a patch to a loaded user; updated_at is the transaction's now()."""
    if name is not None:
        u.name = name
    if email is not None:
        u.email = email
    if age is not None:
        u.age = age
    u.updated_at = func.now()
