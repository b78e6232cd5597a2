module github.com/logcap/logcap/bindings/go

go 1.21
