package emulator

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Faults injects the failures a client must survive. Rates are
// probabilities in [0,1] drawn per request from a generator seeded with
// Seed, so a run with the same seed and request order fails the same way.
type Faults struct {
	// Rate500, Rate502, Rate503 answer that status before the request is
	// handled (nothing is created).
	Rate500, Rate502, Rate503 float64
	// Rate429 answers a rate-limit error before the request is handled.
	Rate429 float64
	// Latency delays every response by this much (on the emulator's Clock).
	Latency time.Duration
	// DropAfterCommit is the probability that a successful POST, PATCH or
	// DELETE is committed and then its connection is closed without a
	// response: the ambiguous failure that makes naive retries duplicate.
	DropAfterCommit float64
	// Seed seeds the generator (0 is a valid seed).
	Seed int64
}

// Enabled reports whether any fault is configured.
func (f Faults) Enabled() bool {
	return f.Rate500 > 0 || f.Rate502 > 0 || f.Rate503 > 0 || f.Rate429 > 0 || f.Latency > 0 || f.DropAfterCommit > 0
}

// String renders the faults in the form ParseFaults reads.
func (f Faults) String() string {
	var parts []string
	add := func(k string, v float64) {
		if v > 0 {
			parts = append(parts, k+"="+strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	add("500", f.Rate500)
	add("502", f.Rate502)
	add("503", f.Rate503)
	add("429", f.Rate429)
	add("drop", f.DropAfterCommit)
	if f.Latency > 0 {
		parts = append(parts, "latency="+f.Latency.String())
	}
	if f.Seed != 0 {
		parts = append(parts, "seed="+strconv.FormatInt(f.Seed, 10))
	}
	return strings.Join(parts, ",")
}

// ParseFaults reads "503=0.05,500=0.01,502=0.01,429=0.02,drop=0.05,latency=20ms,seed=7".
func ParseFaults(s string) (Faults, error) {
	var f Faults
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return f, fmt.Errorf("fault %q: want key=value", part)
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		switch k {
		case "latency":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return f, fmt.Errorf("fault latency=%q: want a duration such as 20ms", v)
			}
			f.Latency = d
			continue
		case "seed":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return f, fmt.Errorf("fault seed=%q: want an integer", v)
			}
			f.Seed = n
			continue
		}
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || p < 0 || p > 1 {
			return f, fmt.Errorf("fault %s=%q: want a probability between 0 and 1", k, v)
		}
		switch k {
		case "500":
			f.Rate500 = p
		case "502":
			f.Rate502 = p
		case "503":
			f.Rate503 = p
		case "429":
			f.Rate429 = p
		case "drop":
			f.DropAfterCommit = p
		default:
			return f, fmt.Errorf("fault %q: unknown kind (want 500, 502, 503, 429, drop, latency or seed)", k)
		}
	}
	if sum := f.Rate500 + f.Rate502 + f.Rate503 + f.Rate429; sum > 1 {
		return f, fmt.Errorf("faults: error rates add up to %g, more than 1", sum)
	}
	return f, nil
}

// faultInjector draws faults deterministically.
type faultInjector struct {
	cfg Faults
	mu  sync.Mutex
	rnd *rand.Rand
}

func newFaultInjector(f Faults) *faultInjector {
	seed := uint64(f.Seed)
	return &faultInjector{cfg: f, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// before returns the status to fail a request with before it is handled,
// or 0 to let it through.
func (fi *faultInjector) before() int {
	c := fi.cfg
	if c.Rate500+c.Rate502+c.Rate503+c.Rate429 <= 0 {
		return 0
	}
	fi.mu.Lock()
	u := fi.rnd.Float64()
	fi.mu.Unlock()
	for _, f := range []struct {
		rate   float64
		status int
	}{{c.Rate429, http.StatusTooManyRequests}, {c.Rate500, 500}, {c.Rate502, 502}, {c.Rate503, 503}} {
		if u < f.rate {
			return f.status
		}
		u -= f.rate
	}
	return 0
}

// drop reports whether to drop this committed mutation's response.
func (fi *faultInjector) drop(method string) bool {
	if fi.cfg.DropAfterCommit <= 0 || method == http.MethodGet || method == http.MethodHead {
		return false
	}
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.rnd.Float64() < fi.cfg.DropAfterCommit
}

// injectedError is the body of an injected 5xx.
func injectedError(status int) *apiError {
	msg := map[int]string{500: "internal server error", 502: "bad gateway", 503: "service unavailable"}[status]
	return &apiError{Status: status, Code: status*100000 + 10000, Message: msg + " (injected by the emulator)"}
}
