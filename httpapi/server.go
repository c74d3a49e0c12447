package httpapi

import (
	"net/http"
	"time"
)

// NewServer returns an http.Server serving h with timeouts tied to the
// request deadline timeout (0 means the Handler's default, 5 s): a client
// that stalls on its headers or its body loses its connection after
// timeout (ReadHeaderTimeout, ReadTimeout), one that does not read the
// answer after twice that (WriteTimeout, which leaves a request that ran to
// its deadline the time to send its 504), and an idle keep-alive connection
// is closed after twelve times (IdleTimeout: 1 minute by default). Every
// server of this API is built here.
func NewServer(h http.Handler, timeout time.Duration) *http.Server {
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: timeout,
		ReadTimeout:       timeout,
		WriteTimeout:      2 * timeout,
		IdleTimeout:       12 * timeout,
	}
}
