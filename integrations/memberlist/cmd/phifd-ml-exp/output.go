package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// F is a float64 written to JSON as null when it is NaN (not measured, e.g. never detected).
type F float64

// MarshalJSON writes NaN and infinities as null.
func (f F) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return []byte(strconv.FormatFloat(v, 'g', 6, 64)), nil
}

// UnmarshalJSON reads null as NaN.
func (f *F) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = F(math.NaN())
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	*f = F(v)
	return err
}

func (f F) String() string {
	if math.IsNaN(float64(f)) {
		return "-"
	}
	return strconv.FormatFloat(float64(f), 'f', 3, 64)
}

// lossTD collects the detection-time samples of every lossy run, per loss model and detector,
// so the phifd points of a frontier pool the crashes of all runs of that loss model.
var lossTD = map[string]map[string][]float64{}

func writeCSV(name string, header []string, rows [][]string) {
	f, err := os.Create(filepath.Join(outDir, name))
	if err != nil {
		log.Fatal(err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	_ = w.WriteAll(rows)
	f.Close()
}

func itoa(i int) string { return strconv.Itoa(i) }

func writeResults() {
	res.LossTD = lossTD
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outDir, "results.json"), b, 0o644); err != nil {
		log.Fatal(err)
	}
	var rows [][]string
	for _, r := range res.Crash {
		rows = append(rows, []string{r.Scenario, r.Det, r.Median.String(), r.Min.String(), r.Max.String(), itoa(r.Samples), itoa(r.Missed)})
	}
	writeCSV("crash.csv", []string{"scenario", "detector", "td_median_s", "td_min_s", "td_max_s", "samples", "missed"}, rows)
	rows = nil
	for _, r := range res.Pause {
		rows = append(rows, []string{r.PauseS.String(), r.Victim, r.Det, itoa(r.SurvivorSuspects), itoa(r.SurvivorDeclares), itoa(r.Survivors),
			itoa(r.PausedSuspects), itoa(r.PausedDeclares), r.SurvivorFirstDead.String()})
	}
	writeCSV("pause.csv", []string{"pause_s", "victim", "detector", "survivor_suspicions", "survivor_declarations", "survivors",
		"paused_node_suspicions", "paused_node_declarations", "survivor_median_declaration_s"}, rows)
	rows = nil
	for _, r := range res.Lossy {
		rows = append(rows, []string{r.Loss, itoa(r.SwimMult), r.Det, r.Hours.String(), itoa(r.Suspicions), itoa(r.Declarations),
			r.SuspPerHour.String(), r.DeclPerHour.String(), r.TDMedian.String(), r.TDMin.String(), r.TDMax.String(), itoa(r.TDMissed)})
	}
	writeCSV("lossy.csv", []string{"loss", "swim_suspicion_mult", "detector", "pair_hours", "false_suspicions", "false_declarations",
		"false_suspicions_per_pair_hour", "false_declarations_per_pair_hour", "td_median_s", "td_min_s", "td_max_s", "td_missed"}, rows)
	rows = nil
	for _, r := range res.Overload {
		rows = append(rows, []string{r.Det, r.Seconds.String(), itoa(r.SurvivorSuspects), itoa(r.SurvivorDeclares),
			itoa(r.StarvedSuspects), itoa(r.StarvedDeclares), r.CPUShare.String()})
	}
	writeCSV("overload.csv", []string{"detector", "seconds", "survivor_suspicions", "survivor_declarations", "starved_node_suspicions",
		"starved_node_declarations", "starved_cpu_share"}, rows)
	if res.Mode == "full" {
		writeCharts()
		writeTables()
	}
}

// ---- SVG ----

type point struct {
	X, Y  float64
	Label string
}

type series struct {
	Name   string
	Color  string
	Points []point
	Line   bool
	Dashed bool
}

const (
	svgW, svgH             = 700, 420
	padL, padR, padT, padB = 70, 170, 40, 60
)

func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*e >= v {
			return m * e
		}
	}
	return 10 * e
}

func svgHeader(b *strings.Builder, title string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgW, svgH, svgW, svgH)
	fmt.Fprintf(b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(b, `<text x="%d" y="22" font-size="14" font-weight="bold">%s</text>`+"\n", padL, esc(title))
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// axes draws the frame, grid and labels. With ylog the y scale is log10(1 + y) (so 0 stays
// plottable) and ymax is in that transformed scale; xticks false leaves the x axis unlabelled.
func axes(b *strings.Builder, xmax, ymax float64, xlabel, ylabel string, xticks, ylog bool) (func(float64) float64, func(float64) float64) {
	pw, ph := float64(svgW-padL-padR), float64(svgH-padT-padB)
	sx := func(x float64) float64 { return float64(padL) + x/xmax*pw }
	sy := func(y float64) float64 {
		if ylog {
			y = math.Log10(1 + y)
		}
		return float64(padT) + ph - y/ymax*ph
	}
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#444"/>`+"\n", padL, padT, pw, ph)
	for i := 0; xticks && i <= 5; i++ {
		x := xmax * float64(i) / 5
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			sx(x), padT, sx(x), svgH-padB, sx(x), svgH-padB+16, strconv.FormatFloat(x, 'g', 3, 64))
	}
	var yt []float64
	if ylog {
		for v := 0.0; math.Log10(1+v) <= ymax+1e-9; v = math.Max(1, v*10) {
			yt = append(yt, v)
		}
	} else {
		for i := 0; i <= 5; i++ {
			yt = append(yt, ymax*float64(i)/5)
		}
	}
	for _, y := range yt {
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n",
			padL, sy(y), svgW-padR, sy(y), padL-6, sy(y)+4, strconv.FormatFloat(y, 'g', 3, 64))
	}
	fmt.Fprintf(b, `<text x="%.0f" y="%d" text-anchor="middle">%s</text>`+"\n", float64(padL)+pw/2, svgH-12, esc(xlabel))
	fmt.Fprintf(b, `<text x="16" y="%.0f" text-anchor="middle" transform="rotate(-90 16 %.0f)">%s</text>`+"\n", float64(padT)+ph/2, float64(padT)+ph/2, esc(ylabel))
	return sx, sy
}

func legend(b *strings.Builder, ss []series) {
	for i, s := range ss {
		y := padT + 14 + 18*i
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n",
			svgW-padR+10, y-10, s.Color, svgW-padR+28, y, esc(s.Name))
	}
}

func scatterSVG(path, title, xlabel, ylabel string, ss []series) {
	xmax, ymax := 0.0, 0.0
	for _, s := range ss {
		for _, p := range s.Points {
			if !math.IsNaN(p.X) {
				xmax = math.Max(xmax, p.X)
			}
			if !math.IsNaN(p.Y) {
				ymax = math.Max(ymax, p.Y)
			}
		}
	}
	xmax = niceMax(xmax * 1.05)
	ymax = math.Max(1, math.Ceil(math.Log10(1+ymax))) // log scale: whole decades
	var b strings.Builder
	svgHeader(&b, title)
	sx, sy := axes(&b, xmax, ymax, xlabel, ylabel, true, true)
	for _, s := range ss {
		var pts []string
		for _, p := range s.Points {
			if math.IsNaN(p.X) || math.IsNaN(p.Y) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", sx(p.X), sy(p.Y)))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/><text x="%.1f" y="%.1f" font-size="10" fill="%s">%s</text>`+"\n",
				sx(p.X), sy(p.Y), s.Color, sx(p.X)+6, sy(p.Y)-6, s.Color, esc(p.Label))
		}
		if s.Line && len(pts) > 1 {
			dash := ""
			if s.Dashed {
				dash = ` stroke-dasharray="5,3"`
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"%s/>`+"\n", strings.Join(pts, " "), s.Color, dash)
		}
	}
	legend(&b, ss)
	b.WriteString("</svg>\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

// barSVG draws groups of bars (one bar per series in each group).
func barSVG(path, title, ylabel string, groups []string, ss []series) {
	ymax := 0.0
	for _, s := range ss {
		for _, p := range s.Points {
			if !math.IsNaN(p.Y) {
				ymax = math.Max(ymax, p.Y)
			}
		}
	}
	ymax = niceMax(ymax * 1.1)
	var b strings.Builder
	svgHeader(&b, title)
	_, sy := axes(&b, 1, ymax, "", ylabel, false, false)
	pw := float64(svgW - padL - padR)
	gw := pw / float64(len(groups))
	bw := gw * 0.8 / float64(len(ss))
	for g, name := range groups {
		x0 := float64(padL) + gw*float64(g) + gw*0.1
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10" text-anchor="end" transform="rotate(-25 %.1f %d)">%s</text>`+"\n",
			x0+gw*0.4, svgH-padB+14, x0+gw*0.4, svgH-padB+14, esc(name))
		for i, s := range ss {
			if g >= len(s.Points) || math.IsNaN(s.Points[g].Y) {
				continue
			}
			y := s.Points[g].Y
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", x0+bw*float64(i), sy(y), bw*0.95, sy(0)-sy(y), s.Color)
			if s.Points[g].Label != "" {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" text-anchor="middle">%s</text>`+"\n", x0+bw*float64(i)+bw/2, sy(y)-3, esc(s.Points[g].Label))
			}
		}
	}
	legend(&b, ss)
	b.WriteString("</svg>\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}

var palette = []string{"#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"}

func writeCharts() {
	// crash: median detection time per detector
	var groups []string
	var ps []point
	for _, r := range res.Crash {
		groups = append(groups, r.Det)
		ps = append(ps, point{Y: float64(r.Median), Label: r.Median.String()})
	}
	barSVG(filepath.Join(outDir, "memberlist-crash.svg"), "Crash (SIGKILL), 8 members: median detection time", "seconds",
		groups, []series{{Name: "median T_D", Color: palette[1], Points: ps}})

	// pause: declarations at survivors by pause length, SWIM vs phi-main and phi12
	lengths := []float64{}
	seen := map[float64]bool{}
	for _, r := range res.Pause {
		if !seen[float64(r.PauseS)] {
			seen[float64(r.PauseS)] = true
			lengths = append(lengths, float64(r.PauseS))
		}
	}
	sort.Float64s(lengths)
	var pg []string
	for _, l := range lengths {
		pg = append(pg, fmt.Sprintf("%.0f s", l))
	}
	var pss []series
	for i, d := range []string{"swim", "phi-main", "phi" + thresholds[len(thresholds)-2], "phi" + thresholds[len(thresholds)-1]} {
		s := series{Name: d, Color: palette[i]}
		for _, l := range lengths {
			n, tot := 0, 0
			for _, r := range res.Pause {
				if float64(r.PauseS) == l && r.Det == d {
					n += r.SurvivorDeclares
					tot += r.Survivors
				}
			}
			frac := math.NaN()
			if tot > 0 {
				frac = float64(n) / float64(tot)
			}
			s.Points = append(s.Points, point{Y: frac})
		}
		pss = append(pss, s)
	}
	barSVG(filepath.Join(outDir, "memberlist-pause.svg"), "Pause: declarations of the paused member per survivor",
		"declarations per survivor", pg, pss)

	// lossy frontiers: one chart per loss model
	losses := []string{}
	seenL := map[string]bool{}
	for _, r := range res.Lossy {
		if !seenL[r.Loss] {
			seenL[r.Loss] = true
			losses = append(losses, r.Loss)
		}
	}
	for li, loss := range losses {
		swim := series{Name: "SWIM suspicions", Color: palette[0], Line: true}
		swimD := series{Name: "SWIM declarations", Color: palette[4], Line: true, Dashed: true}
		phi := series{Name: "phifd suspicions", Color: palette[1], Line: true}
		phiD := series{Name: "phifd declarations", Color: palette[2], Line: true, Dashed: true}
		type agg struct {
			hours float64
			n, d  int
		}
		phiAgg := map[string]*agg{}
		for _, r := range res.Lossy {
			if r.Loss != loss {
				continue
			}
			if r.Det == "swim" {
				swim.Points = append(swim.Points, point{X: float64(r.TDMedian), Y: float64(r.SuspPerHour), Label: "m" + itoa(r.SwimMult)})
				swimD.Points = append(swimD.Points, point{X: float64(r.TDMedian), Y: float64(r.DeclPerHour)})
			} else if strings.HasPrefix(r.Det, "phi") && r.Det != "phi-main" {
				a := phiAgg[r.Det]
				if a == nil {
					a = &agg{}
					phiAgg[r.Det] = a
				}
				a.hours += float64(r.Hours)
				a.n += r.Suspicions
				a.d += r.Declarations
			}
		}
		for _, t := range thresholds {
			d := "phi" + t
			a := phiAgg[d]
			if a == nil || a.hours == 0 {
				continue
			}
			m := map[string]float64{}
			for i, v := range lossTD[loss][d] {
				m[itoa(i)] = v
			}
			if len(m) == 0 { // results without the samples: the median of the runs' medians
				for i, r := range res.Lossy {
					if r.Loss == loss && r.Det == d {
						m[itoa(i)] = float64(r.TDMedian)
					}
				}
			}
			med, _, _, _ := stats(m)
			phi.Points = append(phi.Points, point{X: med, Y: float64(a.n) / a.hours, Label: strings.TrimPrefix(t, "8@")})
			phiD.Points = append(phiD.Points, point{X: med, Y: float64(a.d) / a.hours})
		}
		sort.Slice(swimD.Points, func(i, j int) bool { return swimD.Points[i].X < swimD.Points[j].X })
		sort.Slice(swim.Points, func(i, j int) bool { return swim.Points[i].X < swim.Points[j].X })
		name := []string{"bernoulli", "gilbert-elliott"}[min(li, 1)]
		scatterSVG(filepath.Join(outDir, "memberlist-frontier-"+name+".svg"),
			"Lossy network ("+loss+"): mistakes vs detection time", "median detection time after SIGKILL (s)",
			"per member pair per hour (log scale)", []series{swim, swimD, phi, phiD})
	}
}

// writeTables writes tables.md: the Markdown tables docs/memberlist.md shows.
func writeTables() {
	var b strings.Builder
	fmt.Fprintf(&b, "Run: %s, %.0f s, host %s (%s), load average at start %s, at end %s.\n\n", res.Started, res.Duration,
		res.Host["hostname"], res.Host["cpu"], res.Host["loadavg_at_start"], res.Host["loadavg_at_end"])
	if len(res.NodeCPU) > 0 {
		v := append([]float64(nil), res.NodeCPU...)
		sort.Float64s(v)
		fmt.Fprintf(&b, "CPU per member process: median %.1f %% of a core (max %.1f %%); load averages sampled: %s.\n\n",
			100*v[len(v)/2], 100*v[len(v)-1], strings.Join(res.Load, "; "))
	}
	b.WriteString("### Crash\n\n| detector | median T_D (s) | min | max | detections | missed |\n|---|---|---|---|---|---|\n")
	for _, r := range res.Crash {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d |\n", r.Det, r.Median, r.Min, r.Max, r.Samples, r.Missed)
	}
	b.WriteString("\n### Pause\n\nPer pause length (each length twice, different members): declarations of the paused member by the 7 survivors (out of 14 survivor verdicts), survivors' suspicions, and declarations/suspicions by the paused member after it resumed.\n\n")
	b.WriteString("| pause | detector | survivor declarations | survivor suspicions | paused member declarations | paused member suspicions |\n|---|---|---|---|---|---|\n")
	type key struct {
		p float64
		d string
	}
	agg := map[key]*[4]int{}
	var keys []key
	for _, r := range res.Pause {
		k := key{float64(r.PauseS), r.Det}
		if agg[k] == nil {
			agg[k] = &[4]int{}
			keys = append(keys, k)
		}
		a := agg[k]
		a[0] += r.SurvivorDeclares
		a[1] += r.SurvivorSuspects
		a[2] += r.PausedDeclares
		a[3] += r.PausedSuspects
	}
	sort.SliceStable(keys, func(i, j int) bool { return keys[i].p < keys[j].p })
	for _, k := range keys {
		a := agg[k]
		fmt.Fprintf(&b, "| %.0f s | %s | %d | %d | %d | %d |\n", k.p, k.d, a[0], a[1], a[2], a[3])
	}
	b.WriteString("\n### Overloaded member\n\n| detector | survivor declarations | survivor suspicions | starved member declarations | starved member suspicions | starved CPU share |\n|---|---|---|---|---|---|\n")
	for _, r := range res.Overload {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s |\n", r.Det, r.SurvivorDeclares, r.SurvivorSuspects, r.StarvedDeclares, r.StarvedSuspects, r.CPUShare)
	}
	b.WriteString("\n### Lossy network\n\nMistakes per member pair per hour (counts in brackets) during the failure-free part of each run, and the detection time of the crash that ends it.\n\n")
	b.WriteString("| loss | SWIM SuspicionMult | detector | pair-hours | false suspicions /pair/h | false declarations /pair/h | median T_D (s) | T_D range |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range res.Lossy {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %.2f (%d) | %.2f (%d) | %s | %s–%s |\n", r.Loss, r.SwimMult, r.Det, r.Hours,
			float64(r.SuspPerHour), r.Suspicions, float64(r.DeclPerHour), r.Declarations, r.TDMedian, r.TDMin, r.TDMax)
	}
	if err := os.WriteFile(filepath.Join(outDir, "tables.md"), []byte(b.String()), 0o644); err != nil {
		log.Fatal(err)
	}
}
