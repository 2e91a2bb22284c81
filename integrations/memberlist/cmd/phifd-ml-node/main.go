// Command phifd-ml-node is one member of a memberlist cluster on loopback running both failure
// detectors at once: memberlist's own (SWIM with Lifeguard) and phifd through the phifdml
// adapter. It is the example of the adapter (make memberlist-demo starts several) and the
// process the experiment (phifd-ml-exp) starts, kills, pauses and starves.
//
//	phifd-ml-node --name n1 --port 7301 --join 127.0.0.1:7302,127.0.0.1:7303 [--status 1s]
//
// With --events FILE it appends every transition of every detector as a JSON line:
//
//	{"t":<monotonic ns>,"obs":"n1","det":"swim"|"phi-main"|"phi<T>@<pause>","node":"n3","st":"alive"|"suspect"|"dead"}
//
// where "phi<T>@<pause>" are extra phifd monitors (threshold T, acceptable pause) fed the same
// heartbeat arrivals (--phi-extra), for comparing settings in one run.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"
	phifd "github.com/phifd/phifd/bindings/go"
	phifdml "github.com/phifd/phifd/integrations/memberlist"
	"github.com/phifd/phifd/integrations/memberlist/lossnet"
)

type logger struct {
	mu  sync.Mutex
	w   *bufio.Writer
	f   *os.File
	obs string
}

type line struct {
	T    uint64 `json:"t"`
	Obs  string `json:"obs"`
	Det  string `json:"det"`
	Node string `json:"node"`
	St   string `json:"st"`
}

func (l *logger) log(t uint64, det, node, st string) {
	if l == nil {
		return
	}
	b, _ := json.Marshal(line{T: t, Obs: l.obs, Det: det, Node: node, St: st})
	l.mu.Lock()
	l.w.Write(append(b, '\n'))
	l.w.Flush() // the process may be killed at any time
	l.mu.Unlock()
}

func stateWord(s phifd.State) string {
	switch s {
	case phifd.StateAlive:
		return "alive"
	case phifd.StateSuspect:
		return "suspect"
	case phifd.StateFailed:
		return "dead"
	}
	return "unknown"
}

func swimWord(s memberlist.NodeStateType) string {
	switch s {
	case memberlist.StateAlive:
		return "alive"
	case memberlist.StateSuspect:
		return "suspect"
	}
	return "dead"
}

// swimEvents records memberlist's joins and deaths exactly when memberlist reports them.
type swimEvents struct {
	lg   *logger
	mu   sync.Mutex
	seen map[string]string
	self string
}

func (s *swimEvents) set(name, st string) {
	if name == s.self {
		return
	}
	s.mu.Lock()
	changed := s.seen[name] != st
	s.seen[name] = st
	s.mu.Unlock()
	if changed {
		s.lg.log(phifd.NowNs(), "swim", name, st)
	}
}
func (s *swimEvents) state(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[name]
}

func (s *swimEvents) NotifyJoin(n *memberlist.Node)   { s.set(n.Name, "alive") }
func (s *swimEvents) NotifyLeave(n *memberlist.Node)  { s.set(n.Name, "dead") }
func (s *swimEvents) NotifyUpdate(n *memberlist.Node) {}

// suspectTap passes memberlist's log on and turns each suspicion it reports into a "suspect"
// event (followed by "alive": the log does not say when the suspicion is refuted, so each one
// is counted as it starts).
type suspectTap struct {
	out io.Writer
	sw  *swimEvents
}

func (t *suspectTap) Write(p []byte) (int, error) {
	const mark = "memberlist: Suspect "
	if i := strings.Index(string(p), mark); i >= 0 {
		rest := string(p[i+len(mark):])
		if j := strings.Index(rest, " has failed"); j > 0 && t.sw.state(rest[:j]) != "dead" {
			t.sw.set(rest[:j], "suspect") // (a probe in flight when the member was declared dead is not a new suspicion)
			t.sw.set(rest[:j], "alive")
		}
	}
	return t.out.Write(p)
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("phifd-ml-node: ")
	var (
		name        = flag.String("name", "", "member name (required)")
		port        = flag.Int("port", 0, "UDP and TCP port on 127.0.0.1 (required)")
		join        = flag.String("join", "", "comma-separated host:port of members to join")
		scale       = flag.Float64("scale", 1, "multiply memberlist's LAN timings (probe interval and timeout, gossip interval, push-pull, TCP timeout) by this")
		suspMult    = flag.Int("suspicion-mult", 4, "memberlist SuspicionMult (LAN default 4)")
		suspMax     = flag.Int("suspicion-max-mult", 6, "memberlist SuspicionMaxTimeoutMult (LAN default 6)")
		hb          = flag.Duration("hb", 0, "phifd heartbeat interval (default: memberlist's gossip interval after --scale)")
		threshold   = flag.Float64("threshold", 8, "phi threshold of the adapter's monitor")
		extraSpec   = flag.String("phi-extra", "", "extra phifd monitors fed the same arrivals, comma-separated THRESHOLD@ACCEPTABLE_PAUSE (e.g. 8@500ms), logged as phi<T>@<pause>")
		minSD       = flag.Duration("min-sd", 0, "phifd minimum standard deviation (default: heartbeat interval / 4)")
		pause       = flag.Duration("acceptable-pause", 0, "phifd acceptable pause added to the mean")
		feed        = flag.Bool("feed-suspicions", false, "gossip memberlist suspicions and feed them to phifd as confirmations")
		direct      = flag.Bool("direct", false, "also send each heartbeat to every member directly (SendBestEffort)")
		lossSpec    = flag.String("loss", "none", "packet loss: none, bernoulli:P or ge:PGB,PBG,GOODLOSS,BADLOSS")
		delayBase   = flag.Duration("delay", 0, "fixed delay added to every UDP packet")
		delayJitter = flag.Duration("jitter", 0, "mean of an exponential extra delay per UDP packet")
		seed        = flag.Int64("seed", 1, "seed of the loss and delay draws")
		events      = flag.String("events", "", "append every detector transition to this file (JSON lines)")
		stateDir    = flag.String("state-dir", "", "directory of the durable generation clock (<dir>/<name>.gen); empty: in memory")
		status      = flag.Duration("status", 0, "print a table of every member's state at this interval")
		httpAddr    = flag.String("http", "", "serve Prometheus text on http://ADDR/metrics")
		mlLog       = flag.String("memberlist-log", "", "write memberlist's log here (default: discarded)")
	)
	flag.Parse()
	if *name == "" || *port <= 0 || *port > 65535 {
		log.Fatal("--name and --port (1-65535) are required; see --help")
	}
	if *scale <= 0 {
		log.Fatal("--scale must be > 0")
	}
	model, err := lossnet.ParseModel(*lossSpec)
	if err != nil {
		log.Fatal(err)
	}

	cfg := memberlist.DefaultLANConfig()
	sc := func(d time.Duration) time.Duration { return time.Duration(float64(d) * *scale) }
	cfg.ProbeInterval, cfg.ProbeTimeout = sc(cfg.ProbeInterval), sc(cfg.ProbeTimeout)
	cfg.GossipInterval, cfg.PushPullInterval = sc(cfg.GossipInterval), sc(cfg.PushPullInterval)
	cfg.GossipToTheDeadTime, cfg.TCPTimeout = sc(cfg.GossipToTheDeadTime), sc(cfg.TCPTimeout)
	cfg.SuspicionMult, cfg.SuspicionMaxTimeoutMult = *suspMult, *suspMax
	cfg.Name, cfg.BindAddr, cfg.AdvertiseAddr = *name, "127.0.0.1", "127.0.0.1"
	cfg.BindPort, cfg.AdvertisePort = *port, *port
	cfg.LogOutput = io.Discard
	if *mlLog != "" {
		f, err := os.OpenFile(*mlLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		cfg.LogOutput = f
	}
	// memberlist's public API does not expose its suspicions (Node.State is not filled in), but
	// its log reports each one this member raises: "Suspect <name> has failed, no acks received".
	sw := &swimEvents{seen: map[string]string{}, self: *name}
	mlLogger := log.New(&suspectTap{out: cfg.LogOutput, sw: sw}, "", log.LstdFlags)
	cfg.LogOutput, cfg.Logger = nil, mlLogger
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{BindAddrs: []string{"127.0.0.1"}, BindPort: *port, Logger: mlLogger})
	if err != nil {
		log.Fatalf("port %d: %v", *port, err)
	}
	lt, err := lossnet.Wrap(nt, model, lossnet.Delay{Base: *delayBase, Jitter: *delayJitter}, *seed)
	if err != nil {
		log.Fatal(err)
	}
	cfg.Transport = lt

	var lg *logger
	if *events != "" {
		f, err := os.OpenFile(*events, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		lg = &logger{w: bufio.NewWriter(f), f: f, obs: *name}
	}

	interval := *hb
	if interval == 0 {
		interval = cfg.GossipInterval
	}
	monCfg := func(t float64, ap time.Duration) *phifd.Config {
		c := phifd.NewConfig().SetHeartbeatInterval(interval).SetThreshold(t)
		if *minSD > 0 {
			c.SetMinStdDeviation(*minSD)
		}
		if ap > 0 {
			c.SetAcceptablePause(ap)
		}
		return c
	}
	// Extra monitors, one per threshold, fed every arrival the adapter sees.
	type extra struct {
		label string
		mon   *phifd.Monitor
	}
	var extras []extra
	names := sync.Map{} // node id -> name
	if *extraSpec != "" {
		for _, f := range strings.Split(*extraSpec, ",") {
			f = strings.TrimSpace(f)
			ts, aps, ok := strings.Cut(f, "@")
			t, err := strconv.ParseFloat(ts, 64)
			ap, err2 := time.ParseDuration(aps)
			if !ok || err != nil || err2 != nil {
				log.Fatalf("--phi-extra: %q: want THRESHOLD@ACCEPTABLE_PAUSE, e.g. 8@500ms", f)
			}
			m, err := phifd.NewMonitor(monCfg(t, ap))
			if err != nil {
				log.Fatalf("--phi-extra %s: %v", f, err)
			}
			extras = append(extras, extra{"phi" + f, m})
		}
	}
	opts := phifdml.Options{
		Name: *name, Monitor: monCfg(*threshold, *pause), HeartbeatInterval: interval, FeedSuspicions: *feed, Direct: *direct,
		OnEvent: func(e phifdml.Event) {
			if e.Kind == phifdml.EventState && e.From != e.To {
				lg.log(e.TimeNs, "phi-main", e.Member, stateWord(e.To))
			}
		},
		OnArrival: func(node, gen, ver, now uint64) {
			for _, x := range extras {
				_, _ = x.mon.HeartbeatVersion(node, gen, ver, now)
			}
		},
		OnSuspicion: func(node, reporter uint64) {
			for _, x := range extras {
				_ = x.mon.ReportSuspect(node, reporter)
			}
		},
	}
	if *stateDir != "" {
		if err := os.MkdirAll(*stateDir, 0o755); err != nil {
			log.Fatal(err)
		}
		opts.GenerationPath = filepath.Join(*stateDir, *name+".gen")
	}
	a, err := phifdml.New(opts)
	if err != nil {
		log.Fatal(err)
	}
	sw.lg = lg
	cfg.Events = sw
	if err := a.Install(cfg); err != nil {
		log.Fatal(err)
	}
	ml, err := memberlist.Create(cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := a.Start(ml); err != nil {
		log.Fatal(err)
	}
	if *join != "" {
		peers := strings.Split(*join, ",")
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, err := ml.Join(peers); err == nil {
				break
			} else if time.Now().After(deadline) {
				log.Fatalf("could not join %v: %v", peers, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)

	// Extra monitors: polled like the adapter's, with member names for their events.
	if len(extras) > 0 {
		go func() {
			for range time.Tick(interval / 2) {
				now := phifd.NowNs()
				for _, x := range extras {
					evs, _ := x.mon.Poll(now)
					for _, e := range evs {
						if e.Kind == phifd.EventStateChanged && e.From != e.To {
							n, ok := names.Load(e.Node)
							if !ok {
								for _, m := range ml.Members() {
									names.Store(phifdml.NodeID(m.Name), m.Name)
								}
								n, ok = names.Load(e.Node)
							}
							if !ok {
								n = strconv.FormatUint(e.Node, 10)
							}
							lg.log(e.TimeNs, x.label, n.(string), stateWord(e.To))
						}
					}
				}
			}
		}()
	}
	if *httpAddr != "" {
		http.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
			text, err := a.Prometheus()
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			io.WriteString(w, text)
		})
		go func() { log.Fatal(http.ListenAndServe(*httpAddr, nil)) }()
	}
	var tick <-chan time.Time
	if *status > 0 {
		tick = time.Tick(*status)
	}
	for {
		select {
		case <-stop:
			if *status > 0 {
				fmt.Println(*name, "leaving")
			}
			_ = a.Leave(time.Second)
			_ = ml.Shutdown()
			_ = a.Close()
			return
		case <-tick:
			printStatus(*name, a)
		}
	}
}

func printStatus(self string, a *phifdml.Adapter) {
	ms, err := a.Members()
	if err != nil {
		return
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Member < ms[j].Member })
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %-8s %-8s %-8s %8s %12s\n", self, "member", "swim", "phifd", "phi", "fails in")
	for _, m := range ms {
		fmt.Fprintf(&b, "[%s] %-8s %-8s %-8s %8.2f %12v\n", self, m.Member, swimWord(m.Memberlist), stateWord(m.State), m.Phi,
			m.TimeUntilFailure.Round(time.Millisecond))
	}
	fmt.Print(b.String())
}
