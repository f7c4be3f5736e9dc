package executor

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/brokerctl/brokerctl/pkg/state"
)

// readerStore reads records from any state view.
type readerStore struct {
	r    state.Reader
	salt []byte
}

func newReaderStore(ctx context.Context, r state.Reader) (readerStore, error) {
	salt, err := r.Salt(ctx)
	if err != nil {
		return readerStore{}, fmt.Errorf("read workspace salt: %w", err)
	}
	return readerStore{r: r, salt: salt}, nil
}

// Salt returns the workspace salt.
func (s readerStore) Salt() []byte { return s.salt }

// List returns every record.
func (s readerStore) List(ctx context.Context) ([]Record, error) { return listRecords(ctx, s.r) }

// Get returns one record.
func (s readerStore) Get(ctx context.Context, addr string) (Record, bool, error) {
	r, ok, err := s.r.Get(ctx, addr)
	if err != nil || !ok {
		return Record{}, ok, err
	}
	rec, err := fromState(r)
	return rec, true, err
}

// StateStore adapts a locked state workspace to Store.
type StateStore struct {
	readerStore
	ws state.Workspace
}

// NewStateStore wraps ws, reading its salt once.
func NewStateStore(ctx context.Context, ws state.Workspace) (*StateStore, error) {
	rs, err := newReaderStore(ctx, ws)
	if err != nil {
		return nil, err
	}
	return &StateStore{readerStore: rs, ws: ws}, nil
}

// Put writes one record durably.
func (s *StateStore) Put(ctx context.Context, r Record) error {
	sr, err := toState(r)
	if err != nil {
		return err
	}
	return s.ws.Put(ctx, sr)
}

// SetOutputs replaces the saved outputs.
func (s *StateStore) SetOutputs(ctx context.Context, outputs map[string]OutputValue) error {
	raw := make(map[string]json.RawMessage, len(outputs))
	for k, v := range outputs {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("output %s: %w", k, err)
		}
		raw[k] = b
	}
	return s.ws.SetOutputs(ctx, raw)
}

// ReadOnlyStore adapts a state reader for plan: writes fail.
type ReadOnlyStore struct{ readerStore }

// NewReadOnlyStore wraps r.
func NewReadOnlyStore(ctx context.Context, r state.Reader) (*ReadOnlyStore, error) {
	rs, err := newReaderStore(ctx, r)
	if err != nil {
		return nil, err
	}
	return &ReadOnlyStore{rs}, nil
}

// Put refuses: the store is read-only.
func (s *ReadOnlyStore) Put(context.Context, Record) error {
	return fmt.Errorf("state is open read-only")
}

// SetOutputs refuses: the store is read-only.
func (s *ReadOnlyStore) SetOutputs(context.Context, map[string]OutputValue) error {
	return fmt.Errorf("state is open read-only")
}

// ReadOutputs decodes the outputs saved by the last apply.
func ReadOutputs(ctx context.Context, r state.Reader) (map[string]OutputValue, error) {
	raw, err := r.Outputs(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]OutputValue, len(raw))
	for k, v := range raw {
		var ov OutputValue
		if err := json.Unmarshal(v, &ov); err != nil {
			return nil, fmt.Errorf("output %s: %w", k, err)
		}
		out[k] = ov
	}
	return out, nil
}

func listRecords(ctx context.Context, r state.Reader) ([]Record, error) {
	rs, err := r.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(rs))
	for _, x := range rs {
		rec, err := fromState(x)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

func toState(r Record) (state.Record, error) {
	var obj, req []byte
	var err error
	if r.Object != nil {
		if obj, err = json.Marshal(r.Object); err != nil {
			return state.Record{}, fmt.Errorf("encode %s object: %w", r.Address, err)
		}
	}
	if r.Request != nil {
		if req, err = json.Marshal(r.Request); err != nil {
			return state.Record{}, fmt.Errorf("encode %s request: %w", r.Address, err)
		}
	}
	return state.Record{
		Address: r.Address, Kind: r.Kind, Phase: state.Phase(r.Phase), RemoteID: r.RemoteID, AccountID: r.AccountID,
		IdempotencyKey: r.Key, SpecHash: r.SpecHash, Status: r.Status, Object: obj, Request: req,
		Dependencies: r.Deps, Error: r.Error, IntentAt: r.IntentAt,
	}, nil
}

func fromState(s state.Record) (Record, error) {
	r := Record{
		Address: s.Address, Kind: s.Kind, Phase: Phase(s.Phase), RemoteID: s.RemoteID, AccountID: s.AccountID,
		Key: s.IdempotencyKey, SpecHash: s.SpecHash, Status: s.Status, Deps: s.Dependencies, Error: s.Error, IntentAt: s.IntentAt,
	}
	if len(s.Object) > 0 && string(s.Object) != "null" {
		if err := json.Unmarshal(s.Object, &r.Object); err != nil {
			return r, fmt.Errorf("decode %s object: %w", s.Address, err)
		}
	}
	if len(s.Request) > 0 && string(s.Request) != "null" {
		if err := json.Unmarshal(s.Request, &r.Request); err != nil {
			return r, fmt.Errorf("decode %s request: %w", s.Address, err)
		}
	}
	return r, nil
}
