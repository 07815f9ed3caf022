// Command triage hashes and classifies every file of a folder or disk image
// against hash sets, records the results in a case, and reports them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/triagekit/triage/triage"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes triage with args and returns the process exit status. It is
// the whole program, so tests can run it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(&globalOptions{In: stdin, Out: stdout, Err: stderr}, args)
}

// runWith executes triage with the streams and settings of g; g.Args is set
// from args.
func runWith(g *globalOptions, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	g.Args = append([]string{"triage"}, args...)
	root := newRootCommand(g)
	root.SetArgs(args)
	root.SetIn(g.In)
	root.SetOut(g.Out)
	root.SetErr(g.Err)
	cmd, err := root.ExecuteContextC(ctx)
	var fe *flagError
	if errors.As(err, &fe) && fe.hint == "" && cmd != nil && cmd != root {
		fe.hint = "see '" + cmd.CommandPath() + " --help'"
	}
	return exitStatus(err, ctx, g.Err, cmd != nil && cmd.Annotations[resumableAnnotation] != "")
}

// resumableAnnotation marks a command that an interrupted run of resumes
// when run again (scan); any other starts over.
const resumableAnnotation = "triage:resumable"

// Exit statuses; the table is repeated in every command's help.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitPartial     = 3
	exitInterrupted = 130
)

const exitStatusHelp = `EXIT STATUS
  0    success
  1    error
  2    usage error (bad flags or arguments)
  3    completed, but some evidence was unreadable or incomplete (partial)
  130  interrupted (Ctrl-C or SIGTERM); the case is left consistent`

// errPartial marks a command that finished but could not read everything.
var errPartial = errors.New("completed with unreadable or incomplete items")

// flagError is a usage error: bad flags or arguments. hint, when set,
// replaces the general hint (a "did you mean" suggestion).
type flagError struct {
	err  error
	hint string
}

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return &flagError{err: fmt.Errorf(format, a...)}
}

// hintError carries a hint line printed after the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func exitStatus(err error, ctx context.Context, stderr io.Writer, resumable bool) int {
	var fe *flagError
	var he *hintError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errPartial):
		fmt.Fprintf(stderr, "triage: warning: %s\n", triage.Message(err))
		return exitPartial
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		if resumable {
			fmt.Fprintln(stderr, "triage: interrupted; run the same command again to resume")
		} else {
			fmt.Fprintln(stderr, "triage: interrupted")
		}
		return exitInterrupted
	case errors.As(err, &fe):
		fmt.Fprintf(stderr, "triage: error: %s\n", triage.Message(err))
		if fe.hint != "" {
			fmt.Fprintf(stderr, "triage: hint: %s\n", fe.hint)
		} else {
			fmt.Fprintln(stderr, "triage: hint: see 'triage --help' or 'triage COMMAND --help'")
		}
		return exitUsage
	case isUnknownCommand(err):
		// Cobra's own unknown-command error (a name before the
		// command's flags): a usage error too.
		fmt.Fprintf(stderr, "triage: error: %s\n", strings.SplitN(err.Error(), "\n", 2)[0])
		fmt.Fprintln(stderr, "triage: hint: see 'triage --help'")
		return exitUsage
	case errors.As(err, &he):
		fmt.Fprintf(stderr, "triage: error: %s\n", triage.Message(err))
		fmt.Fprintf(stderr, "triage: hint: %s\n", he.hint)
		return exitError
	default:
		fmt.Fprintf(stderr, "triage: error: %s\n", triage.Message(err))
		return exitError
	}
}
