package openim

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// requestsTotal counts requests by path and outcome. code is the envelope's
// errCode ("0" for success), "http_<status>" when the reply had no envelope,
// "bad_response" for an unreadable 200, and "transport" when no reply came.
var requestsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "imshift_openim_requests_total",
	Help: "Requests to the OpenIM admin API by path and errCode.",
}, []string{"path", "code"})

func countRequest(path, code string) {
	requestsTotal.WithLabelValues(path, code).Inc()
}

// codeLabel is the code label of a reply that arrived; nil is success.
func codeLabel(e *Error) string {
	switch {
	case e == nil:
		return "0"
	case e.Code != 0:
		return strconv.Itoa(e.Code)
	case e.HTTPStatus == http.StatusOK:
		return "bad_response"
	}
	return "http_" + strconv.Itoa(e.HTTPStatus)
}
