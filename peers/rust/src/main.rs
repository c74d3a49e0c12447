//! crudbench-peer: the crudbench HTTP contract served by hyper 0.14 and
//! tokio-postgres with the raw SQL of the Go rawsql arm, built offline from
//! Debian's packaged crates. See docs/peer-rust.md.
//!
//! Configuration (a flag wins over its environment variable):
//!   --addr HOST:PORT  CRUDBENCH_ADDR   listen address (default 127.0.0.1:8080;
//!                                      port 0 picks a free one)
//!   --dsn DSN         CRUDBENCH_DSN    PostgreSQL, as a URL or key=value
//!                     (or DATABASE_URL)
//!   --pool N          CRUDBENCH_POOL   connections at most (default 16, as the
//!                                      Go arms' internal/dbconf)
//! It prints "listening on ADDR" on stderr once it accepts connections;
//! GET /healthz answers 200 once the server accepts requests, as the Flask
//! peer's does: a PostgreSQL that is down shows in the answers (503), not here.

mod gofmt;
mod http;
mod json;
mod model;
mod store;
mod unicode_tables;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::exit;
use std::str::FromStr;
use std::sync::Arc;

use hyper::server::conn::AddrStream;
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Request, Response, Server};

use store::Pool;

struct Settings {
    addr: String,
    dsn: String,
    pool: usize,
}

fn usage(msg: &str) -> ! {
    eprintln!("crudbench-peer: {}", msg);
    eprintln!("usage: crudbench-peer [--addr HOST:PORT] [--dsn DSN] [--pool N]");
    exit(2)
}

fn settings() -> Settings {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut s = Settings {
        addr: env("CRUDBENCH_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()),
        dsn: env("CRUDBENCH_DSN").or_else(|| env("DATABASE_URL")).unwrap_or_default(),
        pool: 16,
    };
    let mut pool = env("CRUDBENCH_POOL");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (a.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next()).unwrap_or_else(|| usage(&format!("{} needs a value", name)));
        match name.trim_start_matches('-') {
            "addr" => s.addr = value(),
            "dsn" => s.dsn = value(),
            "pool" => pool = Some(value()),
            "h" | "help" => usage("serves the crudbench HTTP contract"),
            _ => usage(&format!("unknown argument {:?}", a)),
        }
    }
    if let Some(p) = pool {
        s.pool = match p.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => usage(&format!("pool size {:?}: give a positive integer", p)),
        };
    }
    if s.dsn.is_empty() {
        usage("no database: set CRUDBENCH_DSN or give --dsn");
    }
    s
}

async fn healthz() -> Response<Body> {
    let mut resp = Response::new(Body::from("{\"status\":\"ok\"}\n"));
    resp.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    resp
}

async fn handle(pool: Arc<Pool>, req: Request<Body>) -> Result<Response<Body>, Infallible> {
    if req.uri().path() == "/healthz" && req.method() == hyper::Method::GET {
        return Ok(healthz().await);
    }
    Ok(http::serve(&pool, req).await)
}

async fn shutdown() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {},
                _ = tokio::signal::ctrl_c() => {},
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn main() {
    // The JSON parser recurses once per nesting level, up to Go's limit of
    // 10,000: the stack is sized for that (only touched pages cost memory).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(64 << 20)
        .build();
    match rt {
        Ok(rt) => rt.block_on(run()),
        Err(e) => {
            eprintln!("crudbench-peer: starting the runtime: {}", e);
            exit(1)
        }
    }
}

async fn run() {
    let s = settings();
    let config = match tokio_postgres::Config::from_str(&s.dsn) {
        Ok(c) => c,
        Err(e) => usage(&format!("parsing the DSN: {}", e)),
    };
    let addr: SocketAddr = match s.addr.parse() {
        Ok(a) => a,
        Err(e) => usage(&format!("listen address {:?}: {}", s.addr, e)),
    };
    let pool = Arc::new(Pool::new(config, s.pool));
    let make = make_service_fn(move |_: &AddrStream| {
        let pool = pool.clone();
        async move { Ok::<_, Infallible>(service_fn(move |req| handle(pool.clone(), req))) }
    });
    let server = match Server::try_bind(&addr) {
        Ok(b) => b.http1_keepalive(true).serve(make),
        Err(e) => {
            eprintln!("crudbench-peer: listening on {}: {}", addr, e);
            exit(1)
        }
    };
    eprintln!("listening on {}", server.local_addr());
    if let Err(e) = server.with_graceful_shutdown(shutdown()).await {
        eprintln!("crudbench-peer: serving: {}", e);
        exit(1)
    }
}
