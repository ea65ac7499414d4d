//go:build linux

package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// report writes the Markdown for the README: the line about, the table and
// a note on the CPU columns.
func report(w io.Writer, about string, rows []row) {
	table := [][]string{{"N", "token calls/plan", "wall", "(a) plain value", "ratio to (a)",
		"(b) `cache = false` calls/plan", "(b) wall", "peak RSS", "(b) peak RSS", "provider CPU/plan", "CPU/consumer"}}
	var procs []string
	for _, r := range rows {
		p, c, b := &r.r[plain], &r.r[cached], &r.r[noCache]
		ratio := "failed"
		if p.err == "" && c.err == "" {
			ratio = fmt.Sprintf("%.2fx", float64(median(c.walls))/float64(median(p.walls)))
		}
		table = append(table, []string{strconv.Itoa(r.n),
			cell(c, callsPerPlan), cell(c, wall), cell(p, wall), ratio,
			cell(b, callsPerPlan), cell(b, wall), cell(c, peakRSS), cell(b, peakRSS),
			cell(c, func(c *result) string { return fmtDur(median(c.cpus)) }),
			cell(c, func(c *result) string { return fmtDur(median(c.cpus) / time.Duration(r.n)) }),
		})
		procs = append(procs, fmt.Sprintf("%s at N = %d", cell(c, func(c *result) string { return fmtRange(c.procs) }), r.n))
	}
	fmt.Fprintf(w, "%s\n\n", about)
	markdown(w, table)
	fmt.Fprintf(w, "\nProvider CPU/plan is the user+system time of every provider process the CLI started during one plan "+
		"(%s), the median of as many plans run through a wrapper that records each process's rusage; "+
		"CPU/consumer is that divided by N, with nothing subtracted, so the N = 1 row is the fixed cost.\n",
		strings.Join(procs, ", "))
}

// cell is f(r), or "failed" when r could not be measured.
func cell(r *result, f func(*result) string) string {
	if r.err != "" {
		return "failed"
	}
	return f(r)
}

func wall(r *result) string    { return fmtDur(median(r.walls)) }
func peakRSS(r *result) string { return fmtRSS(r.rss) }

func callsPerPlan(r *result) string {
	if r.calls%len(r.walls) == 0 {
		return strconv.Itoa(r.calls / len(r.walls))
	}
	return fmt.Sprintf("%.2f", float64(r.calls)/float64(len(r.walls)))
}

// fmtRange is "3" when every element of a is 3, else e.g. "3 to 4".
func fmtRange(a []int) string {
	if lo, hi := slices.Min(a), slices.Max(a); lo != hi {
		return fmt.Sprintf("%d to %d", lo, hi)
	}
	return strconv.Itoa(a[0])
}

// fmtDur writes whole milliseconds from 10 ms up, two digits below (0.95 ms,
// 2.0 ms): per-consumer CPU times are compared with 1 ms.
func fmtDur(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case ms >= 9.95:
		return fmt.Sprintf("%.0f ms", ms)
	default:
		return fmt.Sprintf("%#.2g ms", ms)
	}
}

func fmtRSS(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// markdown writes rows[0] as the header of a right-aligned Markdown table
// of the other rows, padded so that it reads as text too. Cells are ASCII.
func markdown(w io.Writer, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c), 3)
		}
	}
	line := func(cell func(i int) string) {
		for i := range width {
			fmt.Fprintf(w, "| %*s ", width[i], cell(i))
		}
		fmt.Fprintln(w, "|")
	}
	line(func(i int) string { return rows[0][i] })
	line(func(i int) string { return strings.Repeat("-", width[i]-1) + ":" })
	for _, r := range rows[1:] {
		line(func(i int) string { return r[i] })
	}
}
