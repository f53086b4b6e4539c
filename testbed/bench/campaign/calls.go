package main

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// callSizes reads the worker's imshift_push_call_messages histogram: per
// provider the number of provider calls, their mean size and how many
// carried 50 messages or fewer (retries sent in fragments).
func callSizes(metricsAddr string) (string, error) {
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	v := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "imshift_push_call_messages_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		f, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return "", fmt.Errorf("metrics: %q: %w", line, err)
		}
		v[line[:i]] = f
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	var parts []string
	for _, p := range []string{"fcm", "apns"} {
		n := v[`imshift_push_call_messages_count{provider="`+p+`"}`]
		if n == 0 {
			continue
		}
		sum := v[`imshift_push_call_messages_sum{provider="`+p+`"}`]
		small := v[`imshift_push_call_messages_bucket{provider="`+p+`",le="50"}`]
		parts = append(parts, fmt.Sprintf("%s %.0f calls, mean %.0f messages, %.0f of ≤ 50", p, n, sum/n, small))
	}
	return strings.Join(parts, "; "), nil
}
