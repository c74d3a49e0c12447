//! Data access: a small connection pool (no pool crate is packaged by
//! Debian) and the statements of the Go rawsql arm, prepared once per
//! connection, with PostgreSQL's errors translated as internal/pgerr does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

use crate::gofmt::{echo, quote};
use crate::model::{not_found, ApiError, PostCreate, UserCreate, UserUpdate, ECONFLICT, EINTERNAL, ETIMEOUT, EUNAVAILABLE};

const USER_COLS: &str = "id, name, email, age, created_at, updated_at";

fn sql_create_user() -> String {
    format!("INSERT INTO users (name, email, age) VALUES ($1, $2, $3) RETURNING {}", USER_COLS)
}
fn sql_user() -> String {
    format!("SELECT {} FROM users WHERE id = $1", USER_COLS)
}
fn sql_update_user() -> String {
    format!(
        "UPDATE users SET name = COALESCE($2, name), email = COALESCE($3, email),\n\tage = COALESCE($4, age), updated_at = now() WHERE id = $1 RETURNING {}",
        USER_COLS
    )
}
const SQL_DELETE_USER: &str = "DELETE FROM users WHERE id = $1";
fn sql_list_users() -> String {
    format!("SELECT {} FROM users WHERE id > $1 ORDER BY id LIMIT $2", USER_COLS)
}
fn sql_create_users() -> String {
    format!(
        "WITH ins AS (\n\tINSERT INTO users (name, email, age)\n\tSELECT name, email, age FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS v(name, email, age, ord)\n\tORDER BY ord\n\tRETURNING {0})\nSELECT {0} FROM ins ORDER BY id",
        USER_COLS
    )
}
fn sql_users_by_id() -> String {
    format!("SELECT {} FROM users WHERE id = ANY($1) ORDER BY id", USER_COLS)
}
const SQL_UPDATE_USERS: &str = "UPDATE users u SET name = COALESCE(v.name, u.name), email = COALESCE(v.email, u.email),\n\tage = COALESCE(v.age, u.age), updated_at = now()\nFROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[]) AS v(id, name, email, age)\nWHERE u.id = v.id\nRETURNING u.id, u.name, u.email, u.age, u.created_at, u.updated_at";
const SQL_DELETE_USERS: &str = "DELETE FROM users WHERE id = ANY($1)";
const SQL_FREE_EMAILS: &str = "UPDATE users SET email = CASE WHEN id = ANY($2) THEN '#' || id ELSE email END\nWHERE id = ANY($1) RETURNING id";
const SQL_CREATE_POST: &str = "INSERT INTO posts (user_id, title, body) VALUES ($1, $2, $3) RETURNING id, created_at";
const SQL_USER_WITH_POSTS: &str = "SELECT u.id, u.name, u.email, u.age, u.created_at, u.updated_at,\n\tp.id, p.title, p.body, p.created_at\nFROM users u LEFT JOIN posts p ON p.user_id = u.id\nWHERE u.id = $1 ORDER BY p.id";

/// A timestamptz as microseconds since the Unix epoch. Infinity, which no
/// time of the API can be, fails to scan (the Go arms fail alike).
#[derive(Clone, Copy)]
pub struct Stamp(pub i64);

impl<'a> tokio_postgres::types::FromSql<'a> for Stamp {
    fn from_sql(
        _: &tokio_postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let b: [u8; 8] = raw.try_into().map_err(|_| "timestamp: not 8 bytes")?;
        let v = i64::from_be_bytes(b);
        if v == i64::MAX || v == i64::MIN {
            return Err("timestamp: infinity has no time".into());
        }
        // PostgreSQL counts from 2000-01-01.
        Ok(Stamp(v + 946_684_800_000_000))
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        *ty == tokio_postgres::types::Type::TIMESTAMPTZ || *ty == tokio_postgres::types::Type::TIMESTAMP
    }
}

/// Statement names of the cache of each connection.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Stmt {
    CreateUser,
    User,
    UpdateUser,
    DeleteUser,
    ListUsers,
    CreateUsers,
    UsersByID,
    UpdateUsers,
    DeleteUsers,
    FreeEmails,
    CreatePost,
    UserWithPosts,
}

impl Stmt {
    fn sql(self) -> String {
        match self {
            Stmt::CreateUser => sql_create_user(),
            Stmt::User => sql_user(),
            Stmt::UpdateUser => sql_update_user(),
            Stmt::DeleteUser => SQL_DELETE_USER.into(),
            Stmt::ListUsers => sql_list_users(),
            Stmt::CreateUsers => sql_create_users(),
            Stmt::UsersByID => sql_users_by_id(),
            Stmt::UpdateUsers => SQL_UPDATE_USERS.into(),
            Stmt::DeleteUsers => SQL_DELETE_USERS.into(),
            Stmt::FreeEmails => SQL_FREE_EMAILS.into(),
            Stmt::CreatePost => SQL_CREATE_POST.into(),
            Stmt::UserWithPosts => SQL_USER_WITH_POSTS.into(),
        }
    }
}

/// One pooled connection with its prepared statements.
struct Conn {
    client: Client,
    stmts: HashMap<Stmt, Statement>,
}

/// A fixed-size pool: a semaphore bounds the connections in use, idle
/// ones wait in a stack; a connection is opened when none is idle.
pub struct Pool {
    config: Config,
    idle: Mutex<Vec<Conn>>,
    slots: Arc<Semaphore>,
}

/// A connection taken from the pool. It goes back when dropped, unless a
/// call on it did not finish (the request timed out or went away while a
/// statement ran): that connection is closed, not reused.
pub struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
    busy: bool,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            if !self.busy && !c.client.is_closed() {
                if let Ok(mut idle) = self.pool.idle.lock() {
                    idle.push(c);
                }
            }
        }
    }
}

impl Pool {
    pub fn new(config: Config, size: usize) -> Pool {
        Pool { config, idle: Mutex::new(Vec::new()), slots: Arc::new(Semaphore::new(size)) }
    }

    /// Takes an idle connection or opens one.
    pub async fn get(&self) -> Result<Lease<'_>, ApiError> {
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| internal(&format!("waiting for a connection: {}", e)))?;
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        let conn = match idle {
            Some(c) if !c.client.is_closed() => c,
            _ => {
                let (client, connection) = self.config.connect(NoTls).await.map_err(|e| translate(&e, "connecting"))?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        eprintln!("level=WARN msg=\"connection ended\" err=\"{}\"", e);
                    }
                });
                Conn { client, stmts: HashMap::new() }
            }
        };
        Ok(Lease { pool: self, conn: Some(conn), busy: false, _permit: permit })
    }
}

fn internal(what: &str) -> ApiError {
    eprintln!("level=ERROR msg=\"internal error\" err=\"{}\"", what);
    ApiError::new(EINTERNAL, "Internal error.")
}

/// Translates a driver error as internal/pgerr.Translate does; what says
/// what was being done, for the log of internal errors.
fn translate(e: &tokio_postgres::Error, what: &str) -> ApiError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION && db.table() == Some("users") {
            let detail = db.detail().unwrap_or("");
            if let Some(email) = detail.strip_prefix("Key (email)=(").and_then(|r| r.strip_suffix(") already exists.")) {
                return ApiError::new(ECONFLICT, format!("Email {} is already taken.", quote(&echo(email.as_bytes()))));
            }
            return ApiError::new(ECONFLICT, "The email is already taken.");
        }
        let c = code.code();
        if *code == SqlState::QUERY_CANCELED {
            return ApiError::new(ETIMEOUT, "The database did not answer in time.");
        }
        if *code == SqlState::T_R_DEADLOCK_DETECTED || *code == SqlState::T_R_SERIALIZATION_FAILURE {
            return ApiError::new(
                ECONFLICT,
                "The request conflicted with a concurrent one and was not applied; try again.",
            );
        }
        if c.starts_with("08") || c == "53300" || c == "57P01" || c == "57P02" || c == "57P03" {
            return unavailable();
        }
        return internal(&format!("{}: {}", what, e));
    }
    if e.is_closed() || lost_connection(e) {
        return unavailable();
    }
    internal(&format!("{}: {}", what, e))
}

/// Reports whether a driver error without a PostgreSQL error is a failure
/// to reach or keep the server: an I/O error somewhere in its chain, or a
/// failed connect.
fn lost_connection(e: &tokio_postgres::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if s.is::<std::io::Error>() {
            return true;
        }
        src = s.source();
    }
    let text = e.to_string();
    text.starts_with("error connecting") || text.contains("connection closed") || text.starts_with("unexpected EOF")
}

pub fn unavailable() -> ApiError {
    ApiError::new(EUNAVAILABLE, "The database is unavailable; try again shortly.")
}

/// A row of users, as answered.
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub age: i32,
    pub created_at: Stamp,
    pub updated_at: Stamp,
    /// Set only when the posts were asked for.
    pub posts: Option<Vec<Post>>,
}

pub struct Post {
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub body: String,
    pub created_at: Stamp,
}

fn user_of(r: &Row) -> Result<User, tokio_postgres::Error> {
    Ok(User {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        email: r.try_get(2)?,
        age: r.try_get(3)?,
        created_at: r.try_get(4)?,
        updated_at: r.try_get(5)?,
        posts: None,
    })
}

fn users_of(rows: &[Row]) -> Result<Vec<User>, tokio_postgres::Error> {
    rows.iter().map(user_of).collect()
}

impl Lease<'_> {
    fn conn(&mut self) -> &mut Conn {
        // Present from get until drop.
        self.conn.as_mut().expect("lease holds a connection")
    }

    async fn stmt(&mut self, s: Stmt) -> Result<Statement, tokio_postgres::Error> {
        let c = self.conn();
        if let Some(st) = c.stmts.get(&s) {
            return Ok(st.clone());
        }
        let st = c.client.prepare(&s.sql()).await?;
        c.stmts.insert(s, st.clone());
        Ok(st)
    }

    async fn query(&mut self, s: Stmt, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, tokio_postgres::Error> {
        self.busy = true;
        let st = self.stmt(s).await?;
        let rows = self.conn().client.query(&st, params).await?;
        self.busy = false;
        Ok(rows)
    }

    async fn execute(&mut self, s: Stmt, params: &[&(dyn ToSql + Sync)]) -> Result<u64, tokio_postgres::Error> {
        self.busy = true;
        let st = self.stmt(s).await?;
        let n = self.conn().client.execute(&st, params).await?;
        self.busy = false;
        Ok(n)
    }

    pub async fn create_user(&mut self, u: &UserCreate) -> Result<User, ApiError> {
        let age = u.age as i32;
        let rows = self
            .query(Stmt::CreateUser, &[&u.name, &u.email, &age])
            .await
            .map_err(|e| translate(&e, "creating user"))?;
        let r = rows.first().ok_or_else(|| internal("creating user: no row returned"))?;
        user_of(r).map_err(|e| translate(&e, "creating user"))
    }

    pub async fn user(&mut self, id: i64) -> Result<User, ApiError> {
        let what = format!("reading user {}", id);
        let rows = self.query(Stmt::User, &[&id]).await.map_err(|e| translate(&e, &what))?;
        match rows.first() {
            None => Err(not_found(id)),
            Some(r) => user_of(r).map_err(|e| translate(&e, &what)),
        }
    }

    pub async fn update_user(&mut self, id: i64, p: &crate::model::UserPatch) -> Result<User, ApiError> {
        let what = format!("updating user {}", id);
        let age = p.age.map(|a| a as i32);
        let rows = self
            .query(Stmt::UpdateUser, &[&id, &p.name, &p.email, &age])
            .await
            .map_err(|e| translate(&e, &what))?;
        match rows.first() {
            None => Err(not_found(id)),
            Some(r) => user_of(r).map_err(|e| translate(&e, &what)),
        }
    }

    pub async fn delete_user(&mut self, id: i64) -> Result<(), ApiError> {
        let n = self
            .execute(Stmt::DeleteUser, &[&id])
            .await
            .map_err(|e| translate(&e, &format!("deleting user {}", id)))?;
        if n == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    pub async fn list_users(&mut self, after: i64, limit: i64) -> Result<Vec<User>, ApiError> {
        let what = format!("listing users after {}", after);
        let rows = self.query(Stmt::ListUsers, &[&after, &limit]).await.map_err(|e| translate(&e, &what))?;
        users_of(&rows).map_err(|e| translate(&e, &what))
    }

    pub async fn create_users(&mut self, items: &[UserCreate]) -> Result<Vec<User>, ApiError> {
        let what = format!("creating {} users", items.len());
        let names: Vec<&str> = items.iter().map(|u| u.name.as_str()).collect();
        let emails: Vec<&str> = items.iter().map(|u| u.email.as_str()).collect();
        let ages: Vec<i32> = items.iter().map(|u| u.age as i32).collect();
        let rows = self
            .query(Stmt::CreateUsers, &[&names, &emails, &ages])
            .await
            .map_err(|e| translate(&e, &what))?;
        users_of(&rows).map_err(|e| translate(&e, &what))
    }

    pub async fn users_by_id(&mut self, ids: &[i64]) -> Result<Vec<User>, ApiError> {
        let what = format!("reading {} users", ids.len());
        let ids = ids.to_vec();
        let rows = self.query(Stmt::UsersByID, &[&ids]).await.map_err(|e| translate(&e, &what))?;
        users_of(&rows).map_err(|e| translate(&e, &what))
    }

    pub async fn delete_users(&mut self, ids: &[i64]) -> Result<u64, ApiError> {
        let ids = ids.to_vec();
        self.execute(Stmt::DeleteUsers, &[&ids])
            .await
            .map_err(|e| translate(&e, &format!("deleting {} users", ids.len())))
    }

    /// Applies a bulk update in one transaction, as the rawsql arm does:
    /// emails that change are freed first (404 before 409), then one
    /// statement updates every row; a missing id rolls everything back
    /// (the transaction, dropped uncommitted, sends ROLLBACK).
    pub async fn update_users(&mut self, items: &[UserUpdate]) -> Result<Vec<User>, ApiError> {
        let what = format!("updating {} users", items.len());
        self.busy = true;
        let free = self.stmt(Stmt::FreeEmails).await.map_err(|e| translate(&e, &what))?;
        let update = self.stmt(Stmt::UpdateUsers).await.map_err(|e| translate(&e, &what))?;
        let out = update_in_tx(&mut self.conn().client, &free, &update, items, &what).await;
        self.busy = false;
        out
    }

    pub async fn create_post(&mut self, user_id: i64, p: &PostCreate) -> Result<Post, ApiError> {
        let rows = match self.query(Stmt::CreatePost, &[&user_id, &p.title, &p.body]).await {
            Ok(rows) => rows,
            Err(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => return Err(not_found(user_id)),
            Err(e) => return Err(translate(&e, &format!("creating post of user {}", user_id))),
        };
        let r = rows.first().ok_or_else(|| internal("creating post: no row returned"))?;
        let id: i64 = r.try_get(0).map_err(|e| translate(&e, "creating post"))?;
        let created_at: Stamp = r.try_get(1).map_err(|e| translate(&e, "creating post"))?;
        Ok(Post { id, user_id, title: p.title.clone(), body: p.body.clone(), created_at })
    }

    pub async fn user_with_posts(&mut self, id: i64) -> Result<User, ApiError> {
        let what = format!("reading user {} with posts", id);
        let rows = self.query(Stmt::UserWithPosts, &[&id]).await.map_err(|e| translate(&e, &what))?;
        let first = match rows.first() {
            None => return Err(not_found(id)),
            Some(r) => r,
        };
        let mut u = user_of(first).map_err(|e| translate(&e, &what))?;
        let mut posts = Vec::new();
        for r in &rows {
            let pid: Option<i64> = r.try_get(6).map_err(|e| translate(&e, &what))?;
            if let Some(pid) = pid {
                posts.push(Post {
                    id: pid,
                    user_id: u.id,
                    title: r.try_get(7).map_err(|e| translate(&e, &what))?,
                    body: r.try_get(8).map_err(|e| translate(&e, &what))?,
                    created_at: r.try_get(9).map_err(|e| translate(&e, &what))?,
                });
            }
        }
        u.posts = Some(posts);
        Ok(u)
    }
}

async fn update_in_tx(
    client: &mut Client,
    free: &Statement,
    update: &Statement,
    items: &[UserUpdate],
    what: &str,
) -> Result<Vec<User>, ApiError> {
    let ids: Vec<i64> = items.iter().map(|u| u.id).collect();
    let changing: Vec<i64> = items.iter().filter(|u| u.patch.email.is_some()).map(|u| u.id).collect();
    let names: Vec<Option<&str>> = items.iter().map(|u| u.patch.name.as_deref()).collect();
    let emails: Vec<Option<&str>> = items.iter().map(|u| u.patch.email.as_deref()).collect();
    let ages: Vec<Option<i32>> = items.iter().map(|u| u.patch.age.map(|a| a as i32)).collect();
    let tx = client.transaction().await.map_err(|e| translate(&e, what))?;
    if !changing.is_empty() {
        let rows = tx.query(free, &[&ids, &changing]).await.map_err(|e| translate(&e, what))?;
        let mut found = std::collections::HashSet::with_capacity(rows.len());
        for r in &rows {
            found.insert(r.try_get::<_, i64>(0).map_err(|e| translate(&e, what))?);
        }
        if let Some(u) = items.iter().find(|u| !found.contains(&u.id)) {
            return Err(not_found(u.id));
        }
    }
    let rows = match tx.query(update, &[&ids, &names, &emails, &ages]).await {
        Ok(rows) => rows,
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) && e.as_db_error().and_then(|d| d.table()) == Some("users") => {
            return Err(ApiError::new(
                ECONFLICT,
                "The batch would leave an email on two users; nothing was changed.",
            ))
        }
        Err(e) => return Err(translate(&e, what)),
    };
    let mut by_id: HashMap<i64, User> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let u = user_of(r).map_err(|e| translate(&e, what))?;
        by_id.insert(u.id, u);
    }
    let mut out = Vec::with_capacity(items.len());
    for u in items {
        match by_id.remove(&u.id) {
            Some(row) => out.push(row),
            None => return Err(not_found(u.id)),
        }
    }
    tx.commit().await.map_err(|e| translate(&e, what))?;
    Ok(out)
}
