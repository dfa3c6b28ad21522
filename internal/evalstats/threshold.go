package evalstats

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Threshold is one condition on a metric, such as over_refusal<=0.05.
type Threshold struct {
	Metric string  `json:"metric"`
	Op     string  `json:"op"` // one of <=, >=, <, >
	Value  float64 `json:"value"`
}

// String writes the threshold back in the form ParseThresholds reads.
func (t Threshold) String() string {
	return t.Metric + t.Op + strconv.FormatFloat(t.Value, 'g', -1, 64)
}

// MetricNames lists the names thresholds may use.
func MetricNames() []string {
	names := make([]string, 0, len(metricGetters))
	for n := range metricGetters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// metricGetters read a named metric of a summary; ok is false when it is
// undefined (no rows to compute it on).
var metricGetters = map[string]func(Summary) (float64, bool){
	"accuracy":             rateOf(func(s Summary) Rate { return s.Accuracy }),
	"block_rate":           rateOf(func(s Summary) Rate { return s.BlockRate }),
	"miss_rate":            rateOf(func(s Summary) Rate { return s.MissRate }),
	"over_refusal":         rateOf(func(s Summary) Rate { return s.OverRefusal }),
	"over_refusal_block":   rateOf(func(s Summary) Rate { return s.OverRefusalBlock }),
	"over_refusal_caution": rateOf(func(s Summary) Rate { return s.OverRefusalCaution }),
	"precision":            rateOf(func(s Summary) Rate { return s.Precision }),
	"recall":               rateOf(func(s Summary) Rate { return s.Recall }),
	"error_rate":           rateOf(func(s Summary) Rate { return s.ErrorRate }),
	"consistency":          rateOf(func(s Summary) Rate { return s.Consistency }),
	"f1":                   ptrOf(func(s Summary) *float64 { return s.F1 }),
	"kappa":                ptrOf(func(s Summary) *float64 { return s.Kappa }),
	"cost_usd":             ptrOf(func(s Summary) *float64 { return s.CostUSD }),
	"latency_p50_ms":       latencyOf(func(l Latency) int64 { return l.P50 }),
	"latency_p95_ms":       latencyOf(func(l Latency) int64 { return l.P95 }),
}

func rateOf(f func(Summary) Rate) func(Summary) (float64, bool) {
	return func(s Summary) (float64, bool) { r := f(s); return r.Value, r.N > 0 }
}

func ptrOf(f func(Summary) *float64) func(Summary) (float64, bool) {
	return func(s Summary) (float64, bool) {
		if v := f(s); v != nil {
			return *v, true
		}
		return 0, false
	}
}

func latencyOf(f func(Latency) int64) func(Summary) (float64, bool) {
	return func(s Summary) (float64, bool) { return float64(f(s.Latency)), s.Latency.N > 0 }
}

// Value returns the named metric of s; ok is false for an unknown name or
// an undefined value.
func (s Summary) Value(metric string) (float64, bool) {
	get, ok := metricGetters[metric]
	if !ok {
		return 0, false
	}
	return get(s)
}

// ParseThresholds reads a comma-separated list such as
// "over_refusal<=0.05,block_rate>=0.9". Spaces are ignored. An unknown
// metric, operator or number is an error naming the part at fault.
func ParseThresholds(s string) ([]Threshold, error) {
	var out []Threshold
	for _, part := range strings.Split(s, ",") {
		part = strings.ReplaceAll(part, " ", "")
		if part == "" {
			continue
		}
		var t Threshold
		i := strings.IndexAny(part, "<>")
		if i <= 0 {
			return nil, fmt.Errorf("threshold %q: want <metric><op><number> with op one of <=, >=, <, >", part)
		}
		t.Metric = part[:i]
		rest := part[i:]
		for _, op := range []string{"<=", ">=", "<", ">"} {
			if strings.HasPrefix(rest, op) {
				t.Op, rest = op, rest[len(op):]
				break
			}
		}
		if _, ok := metricGetters[t.Metric]; !ok {
			return nil, fmt.Errorf("threshold %q: unknown metric %q (known: %s)", part, t.Metric, strings.Join(MetricNames(), ", "))
		}
		v, err := strconv.ParseFloat(rest, 64)
		if err != nil {
			return nil, fmt.Errorf("threshold %q: %q is not a number", part, rest)
		}
		t.Value = v
		out = append(out, t)
	}
	return out, nil
}

// Failure is a threshold a summary does not meet.
type Failure struct {
	Threshold Threshold `json:"threshold"`
	// Actual is the metric's value; Defined is false when it could not be
	// computed, which fails the threshold.
	Actual  float64 `json:"actual"`
	Defined bool    `json:"defined"`
}

// Check returns the thresholds s fails, in order.
func Check(s Summary, ts []Threshold) []Failure {
	var out []Failure
	for _, t := range ts {
		v, ok := s.Value(t.Metric)
		pass := ok
		if ok {
			switch t.Op {
			case "<=":
				pass = v <= t.Value
			case ">=":
				pass = v >= t.Value
			case "<":
				pass = v < t.Value
			case ">":
				pass = v > t.Value
			default:
				pass = false
			}
		}
		if !pass {
			out = append(out, Failure{Threshold: t, Actual: v, Defined: ok})
		}
	}
	return out
}
