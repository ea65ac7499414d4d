package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// measurement is what one variant gave for one N.
type measurement struct {
	Walls []time.Duration // wall time of each timed plan
	CPUs  []time.Duration // CPU time of each timed plan (CLI and provider)
	Calls int             // token requests made during the timed plans
	// Records describe the provider processes of one extra plan run
	// through the wrapper; empty for the plain variant.
	Records []procRecord
	Err     string // why the variant could not be measured; "" if it was
}

func (m *measurement) ok() bool { return m != nil && m.Err == "" && len(m.Walls) > 0 }

// median is the median wall time of the timed plans.
func (m *measurement) median() time.Duration { return median(m.Walls) }

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	if len(d)%2 == 1 {
		return d[len(d)/2]
	}
	return (d[len(d)/2-1] + d[len(d)/2]) / 2
}

func (m *measurement) callsPerPlan() float64 { return float64(m.Calls) / float64(len(m.Walls)) }

// peakRSSKiB is the largest peak RSS of the recorded provider processes,
// 0 when unknown.
func (m *measurement) peakRSSKiB() int64 {
	var peak int64
	for _, r := range m.Records {
		peak = max(peak, r.MaxRSSKiB)
	}
	return peak
}

// row is the measurements for one N.
type row struct {
	N int
	M map[variant]*measurement
}

// machine describes where and how the figures were taken.
type machine struct {
	Date      time.Time
	CLI       string // e.g. "terraform 1.11.4"
	CPU       string
	Cores     int
	GoVersion string
	OSArch    string
	Latency   time.Duration
	Repeat    int
	// Startup is the median time from starting the provider binary to its
	// go-plugin handshake line; 0 when not measured.
	Startup time.Duration
}

// Targets of the performance issue, checked on the row for targetN.
const (
	targetN        = 100
	targetCalls    = 1
	targetRatio    = 1.15
	targetRSSBytes = 40 << 20
)

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

func fmtCalls(m *measurement) string {
	if m.Calls%len(m.Walls) == 0 {
		return strconv.Itoa(m.Calls / len(m.Walls))
	}
	return fmt.Sprintf("%.2f", m.callsPerPlan())
}

func fmtRSS(kib int64) string {
	if kib <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

func ratio(m, base *measurement) float64 { return float64(m.median()) / float64(base.median()) }

// cell formats f(m), or says why there is no figure.
func cell(m *measurement, f func(*measurement) string) string {
	switch {
	case m == nil:
		return "–"
	case !m.ok():
		return "failed"
	}
	return f(m)
}

// markdownTable renders a Markdown table with padded columns, readable as
// text too. align has one letter per column: 'l' for left, else right.
func markdownTable(align string, header []string, rows [][]string) string {
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = max(3, len([]rune(h)))
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	left := func(i int) bool { return i < len(align) && align[i] == 'l' }
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if left(i) {
				fmt.Fprintf(&b, " %s%s |", c, pad)
			} else {
				fmt.Fprintf(&b, " %s%s |", pad, c)
			}
		}
		b.WriteString("\n")
	}
	line(header)
	b.WriteString("|")
	for i, w := range width {
		if left(i) {
			b.WriteString(" :" + strings.Repeat("-", w-1) + " |")
		} else {
			b.WriteString(" " + strings.Repeat("-", w-1) + ": |")
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// report writes the header line, the main table, a details table, the
// errors and the targets.
func report(w io.Writer, mc machine, rows []row) {
	fmt.Fprintf(w, "Measured %s on %s (%d cores, %s), %s, provider built with %s; token server latency %s; "+
		"wall times are the median of %d `plan -refresh=false` runs.\n\n",
		mc.Date.Format("2006-01-02"), mc.CPU, mc.Cores, mc.OSArch, mc.CLI, mc.GoVersion, mc.Latency, mc.Repeat)

	header := []string{"N", "token calls/plan", "wall", "(a) plain value", "ratio to (a)",
		"(b) cache=false calls/plan", "(b) wall", "peak RSS", "(b) peak RSS"}
	var table [][]string
	for _, r := range rows {
		plain, cached, nocache := r.M[variantPlain], r.M[variantCached], r.M[variantNoCache]
		ratioCell := "–"
		if cached.ok() && plain.ok() {
			ratioCell = fmt.Sprintf("%.2fx", ratio(cached, plain))
		}
		wall := func(m *measurement) string { return fmtDur(m.median()) }
		rss := func(m *measurement) string { return fmtRSS(m.peakRSSKiB()) }
		table = append(table, []string{
			strconv.Itoa(r.N),
			cell(cached, fmtCalls), cell(cached, wall), cell(plain, wall), ratioCell,
			cell(nocache, fmtCalls), cell(nocache, wall), cell(cached, rss), cell(nocache, rss),
		})
	}
	fmt.Fprint(w, markdownTable("", header, table))

	fmt.Fprintln(w, "\nDetails. CPU/plan (all) is the median user+system time of the CLI and the provider processes it "+
		"started; the provider columns come from one extra plan per cell, run through the RSS-recording wrapper.")
	fmt.Fprintln(w)
	var details [][]string
	for _, r := range rows {
		for _, v := range variants {
			m := r.M[v]
			if !m.ok() {
				continue
			}
			cpu := "–"
			if len(m.CPUs) > 0 {
				cpu = fmtDur(median(m.CPUs))
			}
			d := []string{strconv.Itoa(r.N), v.String(), fmtDur(slices.Min(m.Walls)), fmtDur(m.median()), fmtDur(slices.Max(m.Walls)), cpu,
				"–", "–", "–", "–"}
			if v.usesProvider() && len(m.Records) > 0 {
				var provCPU, alive, longest time.Duration
				for _, p := range m.Records {
					provCPU += p.CPU
					alive += p.Wall
					longest = max(longest, p.Wall)
				}
				d[6], d[7], d[8], d[9] = strconv.Itoa(len(m.Records)), fmtDur(alive), fmtDur(longest), fmtDur(provCPU)
			}
			details = append(details, d)
		}
	}
	fmt.Fprint(w, markdownTable("rl", []string{"N", "variant", "wall min", "median", "max", "CPU/plan (all)",
		"provider processes/plan", "their lifetimes (sum)", "longest", "their CPU (sum)"}, details))
	if mc.Startup > 0 {
		fmt.Fprintf(w, "\nOne provider start, from exec to its go-plugin handshake line: %s (median of direct starts).\n", fmtDur(mc.Startup))
	}

	var failures []string
	for _, r := range rows {
		for _, v := range variants {
			if m := r.M[v]; m != nil && m.Err != "" {
				failures = append(failures, fmt.Sprintf("- N=%d %s: %s", r.N, v, m.Err))
			}
		}
	}
	if len(failures) > 0 {
		fmt.Fprintf(w, "\nFailed:\n%s\n", strings.Join(failures, "\n"))
	}

	fmt.Fprintf(w, "\nTargets:\n%s", targets(rows))
}

// targets checks the targets: for N = 100 (or the largest N
// measured) one token call per plan and wall time within 1.15x of (a), and
// every provider process of the run under 40 MiB peak RSS.
func targets(rows []row) string {
	if len(rows) == 0 {
		return ""
	}
	r := rows[len(rows)-1]
	for _, x := range rows {
		if x.N == targetN {
			r = x
		}
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	var b strings.Builder
	plain, cached := r.M[variantPlain], r.M[variantCached]
	if cached.ok() {
		fmt.Fprintf(&b, "- N=%d: %d token call(s) per plan: %s (%s)\n", r.N, targetCalls,
			verdict(cached.Calls == targetCalls*len(cached.Walls)), fmtCalls(cached))
	} else {
		fmt.Fprintf(&b, "- N=%d: token calls per plan: not measured\n", r.N)
	}
	if cached.ok() && plain.ok() {
		x := ratio(cached, plain)
		fmt.Fprintf(&b, "- N=%d: wall time within %.2fx of (a): %s (%.2fx, %s vs %s)\n", r.N, targetRatio,
			verdict(x <= targetRatio), x, fmtDur(cached.median()), fmtDur(plain.median()))
	} else {
		fmt.Fprintf(&b, "- N=%d: wall time ratio to (a): not measured\n", r.N)
	}
	var peak int64
	for _, x := range rows {
		for _, v := range variants {
			if m := x.M[v]; m.ok() {
				peak = max(peak, m.peakRSSKiB())
			}
		}
	}
	if peak > 0 {
		fmt.Fprintf(&b, "- peak RSS of every provider process under %d MiB: %s (largest %s)\n", targetRSSBytes>>20,
			verdict(peak*1024 < targetRSSBytes), fmtRSS(peak))
	} else {
		fmt.Fprintf(&b, "- peak RSS: not measured\n")
	}
	return b.String()
}
