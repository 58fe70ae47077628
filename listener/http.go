package listener

import (
	"context"
	"fmt"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/schema"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves the listener's operational endpoints:
//
//	/metrics  Prometheus metrics (gathered from g)
//	/healthz  200 while the process runs (liveness)
//	/readyz   200 when every ready check passes (a listener's Ready: its
//	          claims and write-backs go through), the database answers
//	          within 2 s and its schema is the one this binary knows; 503
//	          with the reason otherwise (readiness)
//	/debug/pprof/  Go's profiler, only when withPprof (it shows internals:
//	          serve it on 127.0.0.1); never /debug/pprof/cmdline, which
//	          would show the command line, a --database-url included
func Handler(conn *dialect.Conn, g prometheus.Gatherer, withPprof bool, ready ...func() error) http.Handler {
	mux := http.NewServeMux()
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", http.NotFound)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		for _, check := range ready {
			if err := check(); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		// A silent database closes the statement's connection 2 s after
		// this deadline (dialect.Guard): an answer within about 4 s.
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := conn.Ping(ctx); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		if err := schema.Check(ctx, conn); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}
