// Command quickstart logs the standard event through logcap from Go.
//
// The configuration comes from the LOGCAP_CONFIG environment variable (a JSON document), or
// is the embedded default: one JSON-lines sink on stdout.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	logcap "github.com/logcap/logcap/bindings/go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run() error {
	p, err := logcap.OpenJSON(os.Getenv("LOGCAP_CONFIG"))
	if err != nil {
		return err
	}
	err = p.Log(logcap.LevelInfo, "request completed",
		logcap.Label("service", "checkout"),
		logcap.Label("env", "prod"),
		logcap.Label("host", "web-1"),
		logcap.Label("region", "eu-west-1"),
		logcap.String("method", "GET"),
		logcap.String("path", "/api/v1/orders/12345"),
		logcap.Int64("status", 200),
		logcap.Float64("latency_ms", 12.5),
		logcap.String("user_id", "u-998877"),
		logcap.Bool("cache_hit", true),
	)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		return err
	}
	st, err := p.Stats()
	if err != nil {
		return err
	}
	for _, s := range st.Sinks {
		fmt.Fprintf(os.Stderr, "quickstart (Go, logcap %s): submitted %d, sink %s delivered %d, %d bytes\n",
			logcap.Version(), st.Submitted, s.Name, s.Delivered, s.Bytes)
	}
	return nil
}
