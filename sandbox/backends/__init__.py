"""Where runners live: `RunnerHost` is the interface, `local` the embedded namespace backend."""
