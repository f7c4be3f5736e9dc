package executor

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
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
	return nil, fmt.Errorf("not used")
}

func (f *fakeRemote) Get(_ context.Context, kind, _, id string) (Object, error) {
	f.requests.Add(1)
	f.gets.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[id]
	if !ok {
		return nil, ErrGone
	}
	return Object{"id": o["id"], "status": o["status"]}, nil
}

func (f *fakeRemote) Reconcile(context.Context, ReconcileQuery) (Object, bool, error) {
	return nil, false, nil
}

func (f *fakeRemote) Update(context.Context, string, string, string, Object) (Object, error) {
	return nil, fmt.Errorf("not used")
}

func (f *fakeRemote) Remove(context.Context, string, string, string) error { return nil }

func (f *fakeRemote) Lookup(context.Context, string, Object) (Object, error) { return nil, ErrGone }

func (f *fakeRemote) ListStatuses(_ context.Context, kind, _ string) (map[string]string, bool, error) {
	if !f.listable[kind] {
		return nil, false, nil
	}
	f.requests.Add(1)
	f.lists.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]string{}
	for id, o := range f.objects {
		if f.kinds[id] == kind {
			out[id] = o["status"].(string)
		}
	}
	return out, true, nil
}

func (f *fakeRemote) Watch(ctx context.Context, family string, fn func(StatusEvent)) error {
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
