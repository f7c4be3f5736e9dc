package executor

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// fakeRemote is an in-memory Remote for unit tests of the watcher and the
// create protocol. Statuses advance only when a test says so.
type fakeRemote struct {
	mu       sync.Mutex
	objects  map[string]Object // id -> object
	kinds    map[string]string // id -> kind
	requests atomic.Int64
	gets     atomic.Int64
	lists    atomic.Int64
	listable map[string]bool
	events   chan StatusEvent
	// drop makes the next n creates commit and then lose their response.
	drop    int
	creates atomic.Int64
	next    int
	// initial is the status new objects start with, per kind.
	initial map[string]string
	// reconcileErrs makes the next n Reconciles fail with a transient error.
	reconcileErrs int
	// getErrs makes the next n Gets fail with a transient error.
	getErrs int
	// refuse, when set, is every create's answer.
	refuse error
	// notSent makes the next n creates fail before reaching the API.
	notSent int
	// reconciles counts Reconcile calls.
	reconciles atomic.Int64
	// removed counts Remove calls.
	removed atomic.Int64
}

func newFakeRemote() *fakeRemote {
	return &fakeRemote{objects: map[string]Object{}, kinds: map[string]string{}, listable: map[string]bool{}}
}

func (f *fakeRemote) put(kind, id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[id] = Object{"id": id, "status": status}
	f.kinds[id] = kind
}

func (f *fakeRemote) Create(_ context.Context, kind, _ string, body Object, key string) (Object, error) {
	f.requests.Add(1)
	f.creates.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse != nil {
		return nil, f.refuse
	}
	if f.notSent > 0 {
		f.notSent--
		return nil, &NotSentError{Err: fmt.Errorf("connection refused")}
	}
	if keyed(kind) {
		for id, o := range f.objects {
			if o["_key"] == key {
				return Object{"id": id, "status": o["status"]}, nil
			}
		}
	}
	f.next++
	id := fmt.Sprintf("%s-%d", kind, f.next)
	st := f.initial[kind]
	if f.initial == nil || st == "" {
		st = "ACTIVE"
	}
	f.objects[id] = Object{"id": id, "status": st, "_key": key, "_match": body["match"]}
	f.kinds[id] = kind
	if f.drop > 0 {
		f.drop--
		return nil, &AmbiguousError{Err: fmt.Errorf("connection reset after send")}
	}
	return Object{"id": id, "status": st}, nil
}

func (f *fakeRemote) Get(_ context.Context, kind, _, id string) (Object, error) {
	f.requests.Add(1)
	f.gets.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.getErrs > 0 {
		f.getErrs--
		return nil, &APIError{Status: 503, Message: "service unavailable"}
	}
	o, ok := f.objects[id]
	if !ok {
		return nil, ErrGone
	}
	return Object{"id": o["id"], "status": o["status"]}, nil
}

// memStore is an in-memory Store.
type memStore struct {
	mu      sync.Mutex
	recs    map[string]Record
	outputs map[string]OutputValue
	puts    int
}

func newMemStore() *memStore { return &memStore{recs: map[string]Record{}} }

func (m *memStore) Salt() []byte { return []byte("test-salt") }

func (m *memStore) List(context.Context) ([]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Record
	for _, r := range m.recs {
		out = append(out, r)
	}
	return out, nil
}

func (m *memStore) Get(_ context.Context, addr string) (Record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[addr]
	return r, ok, nil
}

func (m *memStore) Put(_ context.Context, r Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs[r.Address] = r
	m.puts++
	return nil
}

func (m *memStore) SetOutputs(_ context.Context, o map[string]OutputValue) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outputs = o
	return nil
}

func (f *fakeRemote) Reconcile(_ context.Context, q ReconcileQuery) (Object, bool, error) {
	f.requests.Add(1)
	f.reconciles.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.reconcileErrs > 0 {
		f.reconcileErrs--
		return nil, false, &APIError{Status: 503, Message: "service unavailable"}
	}
	for id, o := range f.objects {
		if f.kinds[id] == q.Kind && o["_match"] == q.Body["match"] && !q.Claimed(id) && o["status"] != "CANCELED" {
			return Object{"id": id, "status": o["status"]}, true, nil
		}
	}
	return nil, false, nil
}

// live counts objects of kind that are not canceled.
func (f *fakeRemote) live(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for id, o := range f.objects {
		if f.kinds[id] == kind && o["status"] != "CANCELED" {
			n++
		}
	}
	return n
}

func (f *fakeRemote) Update(context.Context, string, string, string, Object) (Object, error) {
	return nil, fmt.Errorf("not used")
}

func (f *fakeRemote) Remove(_ context.Context, _, _, id string) error {
	f.requests.Add(1)
	f.removed.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if o, ok := f.objects[id]; ok {
		o["status"] = "CANCELED"
	}
	return nil
}

func (f *fakeRemote) Lookup(context.Context, string, Object) (Object, error) { return nil, ErrGone }

func (f *fakeRemote) List(_ context.Context, kind, _ string) (map[string]Object, bool, error) {
	if !f.listable[kind] {
		return nil, false, nil
	}
	f.requests.Add(1)
	f.lists.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]Object{}
	for id, o := range f.objects {
		if f.kinds[id] == kind {
			out[id] = Object{"id": id, "status": o["status"]}
		}
	}
	return out, true, nil
}

func (f *fakeRemote) Watch(ctx context.Context, family string, _ time.Time, fn func(StatusEvent)) error {
	if f.events == nil {
		return ErrNoStreams
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-f.events:
			fn(ev)
		}
	}
}

func (f *fakeRemote) Requests() int64 { return f.requests.Load() }
