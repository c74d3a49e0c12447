package peer

// FlaskInstall installs what the Flask peer needs, from Debian's packages.
const FlaskInstall = "apt-get install -y python3-flask gunicorn python3-psycopg python3-psycopg-pool python3-sqlalchemy python3-flask-sqlalchemy python3-psycopg2"

// python is Debian's interpreter: a python3 earlier on PATH (a pyenv
// build, say) does not see Debian's packages.
const python = "/usr/bin/python3"

// The Flask peer in its two data-access modes (raw: psycopg 3 and its
// pool; orm: SQLAlchemy 1.4 over psycopg2), each under gunicorn and under
// Flask's development server.
func init() {
	check := []string{python, "-c", "import flask, gunicorn, psycopg, psycopg_pool, sqlalchemy, psycopg2"}
	for _, mode := range []string{"raw", "orm"} {
		Register(Spec{
			Name:    "flask-" + mode + "-gunicorn",
			Dir:     "peers/flask",
			Argv:    []string{python, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", "127.0.0.1:{port}", "app:create_app()"},
			Env:     []string{"CRUDBENCH_MODE=" + mode},
			Check:   check,
			Install: FlaskInstall,
		})
		Register(Spec{
			Name:    "flask-" + mode + "-dev",
			Dir:     "peers/flask",
			Argv:    []string{python, "app.py", "--port", "{port}"},
			Env:     []string{"CRUDBENCH_MODE=" + mode},
			Check:   check,
			Install: FlaskInstall,
		})
	}
}
