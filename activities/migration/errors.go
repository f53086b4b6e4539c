package migration

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/activities/openim"
)

// errClass is what a failed OpenIM call means for provisioning.
type errClass int

const (
	retry   errClass = iota // try the activity again later (network, 5xx, 429, context)
	perUser                 // this user's data is refused (1001, 1004): record it, go on
	fatal                   // the call itself is refused (permission, wrong URL): stop
)

func classify(err error) errClass {
	var e *openim.Error
	switch {
	case errors.Is(err, openim.ErrInvalidArgument):
		return perUser
	case !errors.As(err, &e):
		return retry
	case e.Retryable():
		return retry
	case e.Code == openim.CodeArgs || e.Code == openim.CodeRecordNotFound:
		return perUser
	}
	return fatal
}

// openimFailure is err as the activity returns it: retryable as is, or a
// non-retryable application error the workflow reports.
func openimFailure(err error) error {
	if classify(err) == fatal {
		return temporal.NewNonRetryableApplicationError(err.Error(), "OpenIMRefused", err)
	}
	return err
}

// shortReason is a per-user error as recorded: the code and its name, not
// the server's free text.
func shortReason(err error) string {
	var e *openim.Error
	if errors.As(err, &e) {
		return fmt.Sprintf("openim %d %s", e.Code, e.Msg)
	}
	return "refused before sending"
}
