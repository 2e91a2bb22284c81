// Command phifd-ml-exp runs the side-by-side experiment: clusters of phifd-ml-node processes on
// loopback, each running memberlist's SWIM detector and phifd (through the phifdml adapter) at
// once, under four scenarios: crash (SIGKILL), pause (SIGSTOP then SIGCONT), lossy network
// (seeded Bernoulli and Gilbert–Elliott loss with delay), and an overloaded member (CPU-starved
// by a SIGSTOP/SIGCONT duty cycle). It writes results.json, per-scenario CSV files and SVG charts
// into --out.
//
//	phifd-ml-exp --mode short    # make test: 5 members, one pause and one crash, pass criteria, < 60 s
//	phifd-ml-exp --mode full     # docs/memberlist.md: 8 members, every scenario, about 25 minutes
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	phifd "github.com/phifd/phifd/bindings/go"
)

var (
	nodeBin  string
	outDir   string
	basePort int
	scale    float64
	seed     int64
)

// The phifd monitors every node runs besides the adapter's (the phifd frontier): threshold 8
// with growing acceptable pauses, as THRESHOLD@PAUSE at scale 1 (scaled like memberlist).
var extraSpecs = []string{"8@0s", "8@500ms", "8@1s", "8@2s", "8@3s", "8@4s", "8@6s"}

// mainThreshold and mainPause (at scale 1) configure the adapter's own monitor ("phi-main").
const (
	mainThreshold = 8
	mainPause     = 3 * time.Second
)

// thresholds are the labels of the extra monitors after scaling ("8@250ms", ...).
var thresholds []string

func scaledSpecs() {
	thresholds = nil
	for _, s := range extraSpecs {
		t, p, _ := strings.Cut(s, "@")
		d, _ := time.ParseDuration(p)
		thresholds = append(thresholds, t+"@"+time.Duration(float64(d)*scale).String())
	}
}

type ev struct {
	T    uint64 `json:"t"`
	Obs  string `json:"obs"`
	Det  string `json:"det"`
	Node string `json:"node"`
	St   string `json:"st"`
}

type cluster struct {
	dir   string
	names []string
	cmds  []*exec.Cmd
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// start launches n members (n1..nn) in a fresh directory; args adds flags per member index.
func start(tag string, n int, args func(i int) []string) *cluster {
	dir := filepath.Join(outDir, "runs", tag)
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	c := &cluster{dir: dir}
	for i := 1; i <= n; i++ {
		name := "n" + strconv.Itoa(i)
		a := []string{"--name", name, "--port", strconv.Itoa(basePort + i), "--join", "127.0.0.1:" + strconv.Itoa(basePort+1),
			"--scale", strconv.FormatFloat(scale, 'f', -1, 64), "--phi-extra", strings.Join(thresholds, ","),
			"--threshold", strconv.Itoa(mainThreshold), "--acceptable-pause", time.Duration(float64(mainPause) * scale).String(),
			"--events", filepath.Join(dir, "ev-"+name+".jsonl"), "--seed", strconv.FormatInt(seed*100+int64(i), 10),
			"--state-dir", filepath.Join(dir, "state")}
		if args != nil {
			a = append(a, args(i)...)
		}
		cmd := exec.Command(nodeBin, a...)
		logf, err := os.Create(filepath.Join(dir, "node-"+name+".log"))
		if err != nil {
			log.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			log.Fatalf("starting %s: %v", nodeBin, err)
		}
		c.names = append(c.names, name)
		c.cmds = append(c.cmds, cmd)
		if i == 1 {
			time.Sleep(300 * time.Millisecond) // the seed member listens before the others join
		}
	}
	return c
}

func (c *cluster) pid(name string) int {
	for i, n := range c.names {
		if n == name {
			return c.cmds[i].Process.Pid
		}
	}
	log.Fatalf("no member %s", name)
	return 0
}

func (c *cluster) signal(name string, s syscall.Signal) {
	_ = syscall.Kill(c.pid(name), s)
}

// cpuSeconds returns the CPU time used so far by each running member.
func (c *cluster) cpuSeconds() map[string]float64 {
	out := map[string]float64{}
	tick := 100.0
	for i, n := range c.names {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmds[i].Process.Pid))
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
		if len(f) > 13 {
			u, _ := strconv.ParseFloat(f[11], 64)
			k, _ := strconv.ParseFloat(f[12], 64)
			out[n] = (u + k) / tick
		}
	}
	return out
}

func (c *cluster) stop() {
	for _, cmd := range c.cmds {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	}
}

// events reads every member's event file.
func (c *cluster) events() []ev {
	var out []ev
	for _, n := range c.names {
		f, err := os.Open(filepath.Join(c.dir, "ev-"+n+".jsonl"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var e ev
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				out = append(out, e)
			}
		}
		f.Close()
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].T < out[j].T })
	return out
}

func sleep(d time.Duration) { time.Sleep(d) }

func detectors() []string {
	d := []string{"swim", "phi-main"}
	for _, t := range thresholds {
		d = append(d, "phi"+t)
	}
	return d
}

// detection returns, per observer, the time from t0 until det permanently declared victim dead
// (the last transition to dead after t0, with no later transition away before end); NaN when
// it never did.
func detection(evs []ev, det, victim string, observers []string, t0, end uint64) map[string]float64 {
	out := map[string]float64{}
	for _, o := range observers {
		out[o] = math.NaN()
		var dead uint64
		for _, e := range evs {
			if e.Det != det || e.Obs != o || e.Node != victim || e.T > end {
				continue
			}
			if e.St == "dead" {
				if e.T >= t0 {
					dead = e.T
				} else {
					dead = t0 // already declared (a false declaration before the crash)
				}
			} else {
				dead = 0
			}
		}
		if dead != 0 {
			out[o] = float64(dead-t0) / 1e9
		}
	}
	return out
}

// mistakes counts, for det in [a, b], wrong S-transitions (alive -> suspect) and declarations
// (-> dead) by observers in obs about targets in targets.
func mistakes(evs []ev, det string, obs, targets []string, a, b uint64) (suspicions, declarations int) {
	in := func(s string, l []string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	state := map[[2]string]string{}
	for _, e := range evs {
		if e.Det != det || !in(e.Obs, obs) || !in(e.Node, targets) {
			continue
		}
		k := [2]string{e.Obs, e.Node}
		prev := state[k]
		if prev == "" {
			prev = "alive"
		}
		state[k] = e.St
		if e.T < a || e.T > b {
			continue
		}
		if prev == "alive" && e.St == "suspect" {
			suspicions++
		}
		if e.St == "dead" && prev != "dead" {
			declarations++
		}
	}
	return
}

func without(l []string, x string) []string {
	var out []string
	for _, s := range l {
		if s != x {
			out = append(out, s)
		}
	}
	return out
}

func stats(m map[string]float64) (med, lo, hi float64, missed int) {
	var v []float64
	for _, x := range m {
		if math.IsNaN(x) {
			missed++
		} else {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN(), math.NaN(), math.NaN(), missed
	}
	sort.Float64s(v)
	med = v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return med, v[0], v[len(v)-1], missed
}

// ---- results ----

type tdRow struct {
	Scenario string `json:"scenario"`
	Det      string `json:"detector"`
	Median   F      `json:"median_s"`
	Min      F      `json:"min_s"`
	Max      F      `json:"max_s"`
	Samples  int    `json:"samples"`
	Missed   int    `json:"missed"`
}

type pauseRow struct {
	PauseS            F      `json:"pause_s"`
	Victim            string `json:"victim"`
	Det               string `json:"detector"`
	SurvivorSuspects  int    `json:"survivor_suspicions"`
	SurvivorDeclares  int    `json:"survivor_declarations"`
	Survivors         int    `json:"survivors"`
	PausedSuspects    int    `json:"paused_node_suspicions"`
	PausedDeclares    int    `json:"paused_node_declarations"`
	SurvivorFirstDead F      `json:"survivor_first_declaration_s"`
}

type lossRow struct {
	Loss         string `json:"loss"`
	SwimMult     int    `json:"swim_suspicion_mult"`
	Det          string `json:"detector"`
	Hours        F      `json:"pair_hours"`
	Suspicions   int    `json:"false_suspicions"`
	Declarations int    `json:"false_declarations"`
	SuspPerHour  F      `json:"false_suspicions_per_pair_hour"`
	DeclPerHour  F      `json:"false_declarations_per_pair_hour"`
	TDMedian     F      `json:"td_median_s"`
	TDMin        F      `json:"td_min_s"`
	TDMax        F      `json:"td_max_s"`
	TDMissed     int    `json:"td_missed"`
}

type overloadRow struct {
	Det              string `json:"detector"`
	Seconds          F      `json:"seconds"`
	SurvivorSuspects int    `json:"survivor_suspicions"`
	SurvivorDeclares int    `json:"survivor_declarations"`
	StarvedSuspects  int    `json:"starved_node_suspicions"`
	StarvedDeclares  int    `json:"starved_node_declarations"`
	CPUShare         F      `json:"starved_cpu_share"`
}

type results struct {
	Mode      string                          `json:"mode"`
	Started   string                          `json:"started"`
	Duration  float64                         `json:"duration_s"`
	Host      map[string]string               `json:"host"`
	Settings  map[string]string               `json:"settings"`
	Crash     []tdRow                         `json:"crash"`
	Pause     []pauseRow                      `json:"pause"`
	Lossy     []lossRow                       `json:"lossy"`
	Overload  []overloadRow                   `json:"overload"`
	Load      []string                        `json:"loadavg_samples"`
	NodeCPU   []float64                       `json:"node_cpu_share_samples"`
	LossTD    map[string]map[string][]float64 `json:"lossy_td_samples,omitempty"`
	Pass      *bool                           `json:"pass,omitempty"`
	Criterion []string                        `json:"criteria,omitempty"`
}

var res results

func noteLoad(c *cluster, wall time.Duration) {
	res.Load = append(res.Load, loadavg())
	if c != nil && wall > 0 {
		for _, s := range c.cpuSeconds() {
			res.NodeCPU = append(res.NodeCPU, s/wall.Seconds())
		}
	}
}

// ---- scenarios ----

func warm() time.Duration { return time.Duration(float64(16*time.Second) * scale) }

// crashTrial kills victim in a running cluster and measures every detector's detection time.
func crashTrial(c *cluster, victim string, observe time.Duration) map[string]map[string]float64 {
	t0 := phifd.NowNs()
	c.signal(victim, syscall.SIGKILL)
	sleep(observe)
	end := phifd.NowNs()
	evs := c.events()
	out := map[string]map[string]float64{}
	for _, d := range detectors() {
		out[d] = detection(evs, d, victim, without(c.names, victim), t0, end)
	}
	return out
}

func addTD(scenario string, all map[string][]map[string]float64) []tdRow {
	var rows []tdRow
	for _, d := range detectors() {
		merged := map[string]float64{}
		for i, m := range all[d] {
			for o, v := range m {
				merged[fmt.Sprintf("%d/%s", i, o)] = v
			}
		}
		med, lo, hi, missed := stats(merged)
		rows = append(rows, tdRow{scenario, d, F(med), F(lo), F(hi), len(merged) - missed, missed})
	}
	return rows
}

func crashScenario(n, trials int) {
	all := map[string][]map[string]float64{}
	for k := 0; k < trials; k++ {
		c := start(fmt.Sprintf("crash-%d", k), n, nil)
		t := time.Now()
		sleep(warm())
		victim := c.names[1+k%(n-1)]
		for d, m := range crashTrial(c, victim, 10*time.Second) {
			all[d] = append(all[d], m)
		}
		noteLoad(c, time.Since(t))
		c.stop()
		log.Printf("crash trial %d done (load %s)", k, loadavg())
	}
	res.Crash = addTD("crash", all)
}

func pauseScenario(n int, pauses []float64, after time.Duration) {
	c := start("pause", n, nil)
	defer c.stop()
	t := time.Now()
	sleep(warm())
	for k, p := range pauses {
		victim := c.names[(k%(n-1))+1]
		t0 := phifd.NowNs()
		c.signal(victim, syscall.SIGSTOP)
		sleep(time.Duration(p * float64(time.Second)))
		c.signal(victim, syscall.SIGCONT)
		t1 := phifd.NowNs()
		sleep(after)
		t2 := phifd.NowNs()
		evs := c.events()
		surv := without(c.names, victim)
		for _, d := range detectors() {
			ss, sd := mistakes(evs, d, surv, []string{victim}, t0, t2)
			ps, pd := mistakes(evs, d, []string{victim}, surv, t1, t2)
			med, _, _, _ := stats(detection(evs, d, victim, surv, t0, t1))
			res.Pause = append(res.Pause, pauseRow{F(p), victim, d, ss, sd, len(surv), ps, pd, F(med)})
		}
		log.Printf("pause %.1fs of %s done (load %s)", p, victim, loadavg())
	}
	noteLoad(c, time.Since(t))
}

func lossyScenario(n int, loss, delay, jitter string, mults []int, measure time.Duration) {
	for _, mult := range mults {
		tag := fmt.Sprintf("lossy-%s-m%d", strings.NewReplacer(":", "_", ",", "_").Replace(loss), mult)
		c := start(tag, n, func(int) []string {
			return []string{"--loss", loss, "--delay", delay, "--jitter", jitter, "--suspicion-mult", strconv.Itoa(mult)}
		})
		t := time.Now()
		sleep(warm())
		a := phifd.NowNs()
		sleep(measure)
		b := phifd.NowNs()
		noteLoad(c, time.Since(t))
		victim := c.names[n-1]
		td := crashTrial(c, victim, 12*time.Second)
		evs := c.events()
		hours := float64(b-a) / 3.6e12 * float64(n*(n-1))
		if lossTD[loss] == nil {
			lossTD[loss] = map[string][]float64{}
		}
		for d, m := range td {
			for _, v := range m {
				if !math.IsNaN(v) {
					lossTD[loss][d] = append(lossTD[loss][d], v)
				}
			}
		}
		for _, d := range detectors() {
			s, dd := mistakes(evs, d, c.names, c.names, a, b)
			med, lo, hi, missed := stats(td[d])
			res.Lossy = append(res.Lossy, lossRow{loss, mult, d, F(hours), s, dd, F(float64(s) / hours), F(float64(dd) / hours), F(med), F(lo), F(hi), missed})
		}
		c.stop()
		log.Printf("lossy %s mult %d done (load %s)", loss, mult, loadavg())
	}
}

func overloadScenario(n int, run, period, length time.Duration) {
	c := start("overload", n, nil)
	defer c.stop()
	t := time.Now()
	sleep(warm())
	victim := c.names[n-1]
	cpu0 := c.cpuSeconds()[victim]
	a := phifd.NowNs()
	deadline := time.Now().Add(length)
	for time.Now().Before(deadline) {
		c.signal(victim, syscall.SIGCONT)
		sleep(run)
		c.signal(victim, syscall.SIGSTOP)
		sleep(period - run)
	}
	c.signal(victim, syscall.SIGCONT)
	b := phifd.NowNs()
	cpu1 := c.cpuSeconds()[victim]
	sleep(3 * time.Second)
	noteLoad(c, time.Since(t))
	evs := c.events()
	surv := without(c.names, victim)
	for _, d := range detectors() {
		ss, sd := mistakes(evs, d, surv, []string{victim}, a, b)
		ps, pd := mistakes(evs, d, []string{victim}, surv, a, b)
		res.Overload = append(res.Overload, overloadRow{d, F(float64(b-a) / 1e9), ss, sd, ps, pd, F((cpu1 - cpu0) / (float64(b-a) / 1e9))})
	}
	log.Printf("overload done (load %s)", loadavg())
}

// short is the make-test mode: 5 members, a 1 s pause, then a crash, with pass criteria.
func short() bool {
	const n = 5
	c := start("short", n, nil)
	defer c.stop()
	t := time.Now()
	sleep(warm())
	pass := true
	check := func(ok bool, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		res.Criterion = append(res.Criterion, map[bool]string{true: "PASS ", false: "FAIL "}[ok]+msg)
		if !ok {
			pass = false
		}
	}
	victim := "n2"
	t0 := phifd.NowNs()
	c.signal(victim, syscall.SIGSTOP)
	sleep(time.Second)
	c.signal(victim, syscall.SIGCONT)
	t1 := phifd.NowNs()
	sleep(6 * time.Second)
	t2 := phifd.NowNs()
	evs := c.events()
	surv := without(c.names, victim)
	for _, d := range []string{"phi-main", "swim"} {
		ss, sd := mistakes(evs, d, surv, []string{victim}, t0, t2)
		ps, pd := mistakes(evs, d, []string{victim}, surv, t1, t2)
		res.Pause = append(res.Pause, pauseRow{1, victim, d, ss, sd, len(surv), ps, pd, F(math.NaN())})
		if d == "phi-main" {
			check(sd == 0, "1 s pause of %s: phifd (phi-main) declarations by the %d survivors = %d (bound 0)", victim, len(surv), sd)
			check(pd == 0, "1 s pause of %s: phifd declarations by the paused member after it resumed = %d (bound 0)", victim, pd)
		}
	}
	victim = "n5"
	td := crashTrial(c, victim, 8*time.Second)
	all := map[string][]map[string]float64{}
	for d, m := range td {
		all[d] = []map[string]float64{m}
	}
	res.Crash = addTD("crash", all)
	for _, r := range res.Crash {
		if r.Det == "phi-main" {
			const bound = 5.0
			check(r.Missed == 0 && float64(r.Max) <= bound, "crash of %s: phifd declared it at %d of %d survivors, slowest after %.2f s (bound %.1f s)",
				victim, r.Samples, n-1, r.Max, bound)
		}
	}
	noteLoad(c, time.Since(t))
	res.Pass = &pass
	return pass
}

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("phifd-ml-exp: ")
	mode := flag.String("mode", "short", "short (make test) or full (docs/memberlist.md)")
	flag.StringVar(&nodeBin, "node", "", "the phifd-ml-node binary (default: next to this program)")
	flag.StringVar(&outDir, "out", "", "output directory (default build/memberlist/exp-<mode>)")
	flag.IntVar(&basePort, "base-port", 7600, "members use ports base+1 .. base+N on 127.0.0.1")
	flag.Float64Var(&scale, "scale", 0.5, "memberlist's LAN timings are multiplied by this (phifd heartbeat = scaled gossip interval)")
	flag.Int64Var(&seed, "seed", 1, "seed of the loss and delay draws")
	replot := flag.String("replot", "", "only redraw the charts and tables.md of the results.json in this directory (run with the same --scale)")
	flag.Parse()
	scaledSpecs()
	if *replot != "" {
		b, err := os.ReadFile(filepath.Join(*replot, "results.json"))
		if err != nil {
			log.Fatal(err)
		}
		if err := json.Unmarshal(b, &res); err != nil {
			log.Fatalf("%s/results.json: %v", *replot, err)
		}
		outDir, lossTD = *replot, res.LossTD
		if lossTD == nil {
			lossTD = map[string]map[string][]float64{}
		}
		writeCharts()
		writeTables()
		return
	}
	if nodeBin == "" {
		exe, err := os.Executable()
		if err != nil {
			log.Fatal(err)
		}
		nodeBin = filepath.Join(filepath.Dir(exe), "phifd-ml-node")
	}
	if _, err := os.Stat(nodeBin); err != nil {
		log.Fatalf("node binary %s not found (build it: make memberlist-build, or pass --node): %v", nodeBin, err)
	}
	if outDir == "" {
		outDir = filepath.Join("build", "memberlist", "exp-"+*mode)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		log.Fatal(err)
	}
	began := time.Now()
	host, _ := os.Hostname()
	cpu, _ := os.ReadFile("/proc/cpuinfo")
	model := ""
	for _, l := range strings.Split(string(cpu), "\n") {
		if strings.HasPrefix(l, "model name") {
			model = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
			break
		}
	}
	res = results{Mode: *mode, Started: began.UTC().Format(time.RFC3339),
		Host: map[string]string{"hostname": host, "cpu": model, "loadavg_at_start": loadavg(), "phifd": phifd.Version()},
		Settings: map[string]string{
			"scale": strconv.FormatFloat(scale, 'f', -1, 64),
			"memberlist": fmt.Sprintf("DefaultLANConfig x %v: ProbeInterval %v, ProbeTimeout %v, GossipInterval %v, GossipNodes 3, IndirectChecks 3, SuspicionMult 4, SuspicionMaxTimeoutMult 6, AwarenessMaxMultiplier 8, TCP fallback probes on",
				scale, time.Duration(scale*float64(time.Second)), time.Duration(scale*float64(500*time.Millisecond)), time.Duration(scale*float64(200*time.Millisecond))),
			"phifd": fmt.Sprintf("heartbeat version every %v through memberlist's gossip (TransmitLimitedQueue, RetransmitMult 2, relayed), Akka estimator, window 1000, min sd = interval/4, suspect at threshold/2, adapter (phi-main) threshold %d with acceptable pause %v, extra monitors THRESHOLD@PAUSE %s, no suspicion feed",
				time.Duration(scale*float64(200*time.Millisecond)), mainThreshold, time.Duration(float64(mainPause)*scale), strings.Join(thresholds, ",")),
		}}
	ok := true
	switch *mode {
	case "short":
		ok = short()
	case "full":
		crashScenario(8, 3)
		pauseScenario(8, []float64{1, 2, 3, 4, 5, 1, 2, 3, 4, 5}, 12*time.Second)
		overloadScenario(8, 50*time.Millisecond, 500*time.Millisecond, 60*time.Second)
		lossyScenario(8, "bernoulli:0.1", "1ms", "4ms", []int{2, 4, 6}, 90*time.Second)
		lossyScenario(8, "ge:0.02,0.25,0.01,0.75", "1ms", "4ms", []int{2, 4, 6}, 90*time.Second)
	default:
		log.Fatalf("--mode %q: want short or full", *mode)
	}
	res.Duration = time.Since(began).Seconds()
	res.Host["loadavg_at_end"] = loadavg()
	writeResults()
	if *mode == "short" {
		for _, c := range res.Criterion {
			fmt.Println(c)
		}
		for _, r := range res.Crash {
			fmt.Printf("crash: %-9s detection median %.2f s (min %.2f, max %.2f, missed %d)\n", r.Det, r.Median, r.Min, r.Max, r.Missed)
		}
		if !ok {
			fmt.Println("memberlist short experiment: FAIL (runs in", outDir+"/runs)")
			os.Exit(1)
		}
		fmt.Printf("memberlist short experiment: PASS (%.0f s)\n", res.Duration)
	}
}
