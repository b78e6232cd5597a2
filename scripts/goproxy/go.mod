module logcap.invalid/scripts/goproxy

go 1.21
