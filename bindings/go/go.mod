module github.com/phifd/phifd/bindings/go

go 1.22
