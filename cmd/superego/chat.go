package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/superego-lab/superego/internal/engine"
	"github.com/superego-lab/superego/internal/events"
	"github.com/superego-lab/superego/internal/llm/providers"
	"github.com/superego-lab/superego/internal/model"
	"github.com/superego-lab/superego/internal/seed"
	"github.com/superego-lab/superego/internal/store"
)

// cmdChat runs one turn through the engine in this process and streams the
// superego's thinking, its decision and the answer to the terminal.
func cmdChat(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfgRef, instanceID string
	c, rest, err := parseConfig("chat", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&cfgRef, "config", "standard", "flow config id or name")
		fs.StringVar(&instanceID, "instance", "", "continue this flow instance instead of starting a new one")
	})
	if err != nil {
		return err
	}
	content := strings.TrimSpace(strings.Join(rest, " "))
	if content == "" {
		return errors.New(`chat needs a message: superego chat --config standard "hello"`)
	}
	c.LogLevel = "warn"
	log, err := newLogger(c, stderr)
	if err != nil {
		return err
	}
	unlock, err := lockDataDir(c)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := openStore(ctx, c, log)
	if err != nil {
		return err
	}
	defer func() { _ = st.Close() }()
	if err := seed.Apply(ctx, st, log); err != nil {
		return err
	}
	cat, err := providers.Setup(providerConfig(c, nil), log)
	if err != nil {
		return err
	}
	// On PostgreSQL the run is leased and its events stored like a
	// server's, so a server replica can follow or resume it.
	rep, stopReplicas, err := openReplicas(ctx, st, c.RunLease, log)
	if err != nil {
		return err
	}
	defer stopReplicas()
	eng := engine.New(st, cat.Provider, engine.Config{
		SuperegoModel: cat.SuperegoModel, AssistantModel: cat.AssistantModel,
		MaxConcurrentUpstream: 1, RunTimeout: c.RunTimeout, HistoryBudgetChars: c.HistoryBudget, Replicas: rep,
	}, log, prometheus.NewRegistry())
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = eng.Shutdown(sctx)
	}()

	if instanceID == "" {
		fc, err := findConfig(ctx, st, cfgRef)
		if err != nil {
			return err
		}
		inst, err := st.CreateFlowInstance(ctx, model.FlowInstance{
			FlowConfigID: fc.ID,
			Name:         "Terminal chat " + time.Now().UTC().Format("2006-01-02 15:04"),
		})
		if err != nil {
			return err
		}
		instanceID = inst.ID
	}
	run, err := eng.Send(ctx, instanceID, content)
	if err != nil {
		return err
	}
	sub, err := eng.Subscribe(ctx, run.ID, 0)
	if err != nil {
		return err
	}
	defer sub.Close()
	if cat.Demo {
		_, _ = fmt.Fprintln(stdout, "[offline demo provider — not a real model]")
	}
	_, _ = fmt.Fprintf(stdout, "instance %s · run %s\n", instanceID, run.ID)
	return printRun(ctx, sub, stdout, eng, run.ID)
}

// Exit codes of `superego chat` (README "Configuration"): scripts can tell
// an answer from a block, a failure, a cancellation and a cut answer.
const (
	exitBlocked   = 3 // the superego blocked the message (BLOCK, or ERROR under the block policy)
	exitFailed    = 4 // the run failed: provider error, bad key, timeout
	exitCancelled = 5 // cancelled (Ctrl-C) or interrupted
	exitTruncated = 6 // answered, but the provider cut the answer short
)

// exitError ends the command with a specific exit code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// runExit is the error, nil for a full answer, that tells how a run ended.
func runExit(status, errText string, truncated bool) error {
	switch {
	case status == model.RunCompleted && truncated:
		return &exitError{exitTruncated, "the answer was cut short by the provider"}
	case status == model.RunCompleted:
		return nil
	case status == model.RunBlocked:
		return &exitError{exitBlocked, strings.TrimSpace("blocked by the superego " + errText)}
	case status == model.RunCancelled, status == model.RunInterrupted:
		return &exitError{exitCancelled, status + ": " + errText}
	}
	return &exitError{exitFailed, "run failed: " + errText}
}

// printRun renders a run's events until it finishes. Ctrl-C cancels the run.
// The summary ends with the generation parameters each call recorded as
// sent, when it sent any, so a run can be reproduced from its output.
func printRun(ctx context.Context, sub *engine.Subscription, w io.Writer, eng *engine.Engine, runID string) error {
	section := ""
	var status, errText string
	var superegoParams, assistantParams string
	truncated := false
	enter := func(s string) {
		if section != s {
			_, _ = fmt.Fprintf(w, "\n── %s ──\n", s)
			section = s
		}
	}
	for {
		evs, err := sub.Next(ctx)
		if errors.Is(err, io.EOF) {
			_, _ = fmt.Fprintln(w)
			return runExit(status, errText, truncated)
		}
		if err != nil {
			if ctx.Err() != nil {
				_ = eng.Cancel(context.WithoutCancel(ctx), runID)
				return &exitError{exitCancelled, "cancelled"}
			}
			return err
		}
		for _, e := range evs {
			switch e.Type {
			case events.TypeSuperegoStarted:
				enter(fmt.Sprintf("superego (%s, constitution %s v%d)", e.Model, e.ConstitutionID, e.ConstitutionVersion))
			case events.TypeSuperegoThinking:
				enter("superego thinking")
				_, _ = io.WriteString(w, e.Delta)
			case events.TypeSuperegoToken:
				enter("superego")
				_, _ = io.WriteString(w, e.Delta)
			case events.TypeSuperegoDecision:
				enter("decision")
				_, _ = fmt.Fprintf(w, "%s %s", e.Decision, e.Reason)
				if e.Message != nil {
					superegoParams = model.EncodeParams(e.Message.Params)
				}
			case events.TypeAssistantToken:
				enter("assistant")
				_, _ = io.WriteString(w, e.Delta)
			case events.TypeAssistantMessage:
				truncated = e.Message != nil && e.Message.Status == model.MessageTruncated
				if e.Message != nil {
					assistantParams = model.EncodeParams(e.Message.Params)
				}
			case events.TypeRunFinished:
				status, errText = e.Status, e.Error
				enter("run")
				_, _ = fmt.Fprintf(w, "%s", e.Status)
				if e.Error != "" {
					_, _ = fmt.Fprintf(w, ": %s", e.Error)
				}
				if superegoParams != "" {
					_, _ = fmt.Fprintf(w, "\nsuperego params %s", superegoParams)
				}
				if assistantParams != "" {
					_, _ = fmt.Fprintf(w, "\nassistant params %s", assistantParams)
				}
			}
		}
	}
}

// findConfig resolves a flow config by id, then by case-insensitive name.
func findConfig(ctx context.Context, st store.Store, ref string) (model.FlowConfig, error) {
	if model.ValidID(ref) {
		fc, err := st.GetFlowConfig(ctx, ref)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return fc, err
		}
	}
	p := store.Page{Limit: 200}
	for {
		items, next, err := st.ListFlowConfigs(ctx, p)
		if err != nil {
			return model.FlowConfig{}, err
		}
		for _, fc := range items {
			if strings.EqualFold(fc.Name, ref) {
				return fc, nil
			}
		}
		if next == "" {
			return model.FlowConfig{}, fmt.Errorf("no flow config with id or name %q", ref)
		}
		p.Cursor = next
	}
}
