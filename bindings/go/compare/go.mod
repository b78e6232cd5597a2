module github.com/logcap/logcap/bindings/go/compare

go 1.26

require (
	github.com/logcap/logcap/bindings/go v0.0.0
	github.com/rs/zerolog v1.35.1
	go.uber.org/zap v1.28.0
)

require (
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	golang.org/x/sys v0.29.0 // indirect
)

replace github.com/logcap/logcap/bindings/go => ../
