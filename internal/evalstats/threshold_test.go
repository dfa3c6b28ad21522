package evalstats

import (
	"strings"
	"testing"
)

func TestThresholds(t *testing.T) {
	t.Parallel()
	ts, err := ParseThresholds(" over_refusal <= 0.05, block_rate>=0.9,kappa>0.3,error_rate<0.5,")
	if err != nil {
		t.Fatal(err)
	}
	var back []string
	for _, x := range ts {
		back = append(back, x.String())
	}
	if strings.Join(back, ",") != "over_refusal<=0.05,block_rate>=0.9,kappa>0.3,error_rate<0.5" {
		t.Fatalf("parsed %v", back)
	}
	// handRows: over_refusal 0.5 fails, block_rate 5/6 fails, κ 8/23 passes, errors 1/11 pass.
	fails := Check(Summarize(handRows(), Options{}), ts)
	if len(fails) != 2 || fails[0].Threshold.Metric != "over_refusal" || fails[1].Threshold.Metric != "block_rate" ||
		fails[0].Actual != 0.5 || !fails[0].Defined {
		t.Fatalf("failures %+v", fails)
	}
	// An undefined metric fails its threshold.
	ts2, _ := ParseThresholds("f1>=0")
	if f := Check(Summarize(nil, Options{}), ts2); len(f) != 1 || f[0].Defined {
		t.Fatalf("undefined f1: %+v", f)
	}
	for _, bad := range []string{"nope<=1", "accuracy=1", "accuracy<=x", "<=1", "accuracy", "accuracy<=>1"} {
		if _, err := ParseThresholds(bad); err == nil {
			t.Errorf("ParseThresholds(%q) accepted", bad)
		}
	}
	if ts, err := ParseThresholds(""); err != nil || len(ts) != 0 {
		t.Errorf("empty: %v %v", ts, err)
	}
	for _, n := range MetricNames() {
		if _, err := ParseThresholds(n + ">=0"); err != nil {
			t.Errorf("metric %s: %v", n, err)
		}
	}
}
