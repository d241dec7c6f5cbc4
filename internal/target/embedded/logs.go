package embedded

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	vtlog "github.com/dolthub/vitess/go/vt/log"
	"github.com/sirupsen/logrus"
)

// installLogRouting points go-mysql-server's logrus logger and vitess's
// log functions at the target's slog logger (once per process: both are
// process-wide). Connection open/close chatter goes to debug.
func installLogRouting() {
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.WarnLevel)
	logrus.AddHook(logrusHook{})

	vtlog.Info = func(a ...any) { sinkf(slog.LevelDebug, "%s", fmt.Sprint(a...)) }
	vtlog.Infof = func(format string, a ...any) { sinkf(slog.LevelDebug, format, a...) }
	vtlog.Warning = func(a ...any) { sinkf(slog.LevelDebug, "%s", fmt.Sprint(a...)) }
	vtlog.Warningf = func(format string, a ...any) { sinkf(slog.LevelDebug, format, a...) }
	// vitess logs a client that hangs up mid-handshake (the proxy's
	// greeting probe does) as an error; keep those at debug too.
	vtlog.Error = func(a ...any) { sinkf(slog.LevelDebug, "%s", fmt.Sprint(a...)) }
	vtlog.Errorf = func(format string, a ...any) { sinkf(slog.LevelDebug, format, a...) }
}

type logrusHook struct{}

func (logrusHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (logrusHook) Fire(e *logrus.Entry) error {
	level := slog.LevelWarn
	switch {
	case strings.Contains(e.Message, "secure_file_priv") || strings.Contains(e.Message, "GRANT FILE"):
		// LOAD DATA is not reachable: the server listens on loopback for
		// the harness only
		level = slog.LevelDebug
	case e.Level <= logrus.ErrorLevel:
		level = slog.LevelError
	}
	sinkf(level, "%s", e.Message)
	return nil
}
