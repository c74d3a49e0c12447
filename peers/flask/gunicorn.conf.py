# gunicorn settings of the Flask peer, for a 2-core machine.
#
# Python runs one thread at a time per process (the GIL), so CPU work
# scales with processes: one worker per core. Each request also waits on
# PostgreSQL; threads (the gthread worker) let a worker serve other
# requests meanwhile, and keep connections alive, which the sync worker
# does not. Four threads per worker cover the waits without making the
# GIL the bottleneck; each worker's pool holds as many connections.
workers = 2
threads = 4
worker_class = "gthread"
keepalive = 75
timeout = 30
graceful_timeout = 5
# The contract answers long request lines and many parameters itself (in
# JSON); gunicorn's own limits would answer them first, in text.
limit_request_line = 0
limit_request_fields = 200
limit_request_field_size = 0
accesslog = None
