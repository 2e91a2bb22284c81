# phifd command-line tool (cli/): tests and a smoke run of every command on small inputs.
.PHONY: test-cli
PHIFD_CLI := target/release/phifd
CLI_SMOKE := $(BUILD)/cli-smoke

test-cli: lib
	$(CARGO) test -p phifd-cli --release
	@rm -rf $(CLI_SMOKE) && mkdir -p $(CLI_SMOKE)
	$(PHIFD_CLI) --help >/dev/null
	$(PHIFD_CLI) simulate wan --seed 1 --duration 30m -o $(CLI_SMOKE)/wan.csv.gz
	$(PHIFD_CLI) stats $(CLI_SMOKE)/wan.csv.gz --compare wan >/dev/null
	$(PHIFD_CLI) simulate crash --seed 2 --duration 10m -o $(CLI_SMOKE)/crash.csv
	$(PHIFD_CLI) convert planetlab cli/tests/data/planetlab-node5-head20k.csv.gz --delay wan --loss wan -o $(CLI_SMOKE)/node5.csv
	$(PHIFD_CLI) eval $(CLI_SMOKE)/wan.csv.gz $(CLI_SMOKE)/node5.csv --interval 100ms --crashes 200 --report $(CLI_SMOKE)/report >/dev/null
	test -s $(CLI_SMOKE)/report/index.html && test -s $(CLI_SMOKE)/report/frontier.svg
	$(PHIFD_CLI) eval $(CLI_SMOKE)/crash.csv --json --crashes 50 >/dev/null
	$(PHIFD_CLI) tune $(CLI_SMOKE)/wan.csv.gz --max-mistake-rate 0.01 --crashes 100 >/dev/null
	$(PHIFD_CLI) simulate mixed --seed 1 --duration 10m -o $(CLI_SMOKE)/mixed.csv.gz
	$(PHIFD_CLI) eval $(CLI_SMOKE)/mixed.csv.gz --interval 100ms --crashes 50 --qos 500ms,10m --qos-compare >/dev/null
	$(PHIFD_CLI) tune $(CLI_SMOKE)/mixed.csv.gz --max-detection-time 1s --crashes 50 --qos >/dev/null
	$(PHIFD_CLI) record --listen 127.0.0.1:0 --duration 0.2s -o $(CLI_SMOKE)/empty.csv

TEST_TARGETS += test-cli

# QoS measurements of docs/quality.md (every scenario, the mixed cluster, PlanetLab node5; three
# target levels; tables in build/qos-eval/tables.md, charts docs/img/quality-qos-*.svg). About a
# minute for 6 h traces on the 2-CPU machine; qos-eval-short: 20-minute traces, no charts.
.PHONY: qos-eval qos-eval-short
qos-eval: lib
	$(CARGO) build --release -p phifd-cli
	nice -n 10 cli/qos-eval.sh
qos-eval-short: lib
	$(CARGO) build --release -p phifd-cli
	cli/qos-eval.sh --short
