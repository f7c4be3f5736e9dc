package emulator

import (
	"sync"
	"sync/atomic"
)

// Stats is a snapshot of what the emulator has served, for benchmarks and
// exactly-once tests.
type Stats struct {
	// Requests counts every request received, including rejected ones.
	Requests int64 `json:"requests"`
	// Routes counts requests per matched route pattern, e.g.
	// "POST /v1/accounts" (unmatched paths count under "unmatched").
	Routes map[string]int64 `json:"routes"`
	// RateLimited counts genuine 429s from the rate limiter.
	RateLimited int64 `json:"rate_limited"`
	// Unauthorized counts 401s for missing or wrong credentials.
	Unauthorized int64 `json:"unauthorized"`
	// Faults counts injected faults by kind: "500", "502", "503", "429",
	// "drop", "latency".
	Faults map[string]int64 `json:"faults"`
	// Created counts objects created per kind: account, ach_relationship,
	// bank, transfer, journal, order.
	Created map[string]int64 `json:"created"`
}

type statsCounter struct {
	requests, rateLimited, unauthorized atomic.Int64
	routes, faults, created             sync.Map // string → *atomic.Int64
}

func incr(m *sync.Map, key string) {
	if v, ok := m.Load(key); ok {
		v.(*atomic.Int64).Add(1)
		return
	}
	v, _ := m.LoadOrStore(key, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func dump(m *sync.Map) map[string]int64 {
	out := map[string]int64{}
	m.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// Stats returns counters since New.
func (e *Emulator) Stats() Stats {
	return Stats{
		Requests:     e.stats.requests.Load(),
		Routes:       dump(&e.stats.routes),
		RateLimited:  e.stats.rateLimited.Load(),
		Unauthorized: e.stats.unauthorized.Load(),
		Faults:       dump(&e.stats.faults),
		Created:      dump(&e.stats.created),
	}
}

// created counts one new object of kind.
func (e *Emulator) created(kind string) { incr(&e.stats.created, kind) }
