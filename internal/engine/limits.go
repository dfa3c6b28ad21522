package engine

import "time"

// The limits of a run that more than the engine must know: the WebSocket
// API checks frames against them before they reach the engine (so a bad
// frame is an invalid_field naming the field), and the serve flags take
// their defaults from them. They are declared once, here.
const (
	// MaxContentBytes bounds one user message.
	MaxContentBytes = 256 << 10
	// MinParallelConfigs and MaxParallelConfigs bound the flow configs of
	// one comparison (run_parallel).
	MinParallelConfigs = 2
	MaxParallelConfigs = 8
	// MaxComparisonNameRunes bounds a comparison's name, which prefixes the
	// names of its instances.
	MaxComparisonNameRunes = 120
	// DefaultRunTimeout bounds a whole run when Config.RunTimeout is zero;
	// it is also the default of the --run-timeout flag.
	DefaultRunTimeout = 5 * time.Minute
)
