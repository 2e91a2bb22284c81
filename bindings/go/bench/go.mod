module github.com/phifd/phifd/bindings/go/bench

go 1.22

require github.com/phifd/phifd/bindings/go v0.0.0

replace github.com/phifd/phifd/bindings/go => ../
