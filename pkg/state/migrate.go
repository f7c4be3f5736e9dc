package state

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotEmpty is returned by Migrate when the destination workspace already
// has records or outputs and force is false.
var ErrNotEmpty = errors.New("destination workspace is not empty")

// MigrateOptions says what Migrate moves and how it locks.
type MigrateOptions struct {
	// From and To name the source and destination workspaces; To defaults to From.
	From, To string
	// Lock identifies the migration to anyone blocked by it.
	Lock LockInfo
	// LockTimeout is how long to wait for each workspace's lock.
	LockTimeout time.Duration
	// Force replaces a destination that already has state.
	Force bool
}

// MigrateResult counts what Migrate copied.
type MigrateResult struct {
	Records, Outputs int
}

// Migrate copies a workspace's records, outputs, metadata and salt from src to dst
// (for example a SQLite file to PostgreSQL), holding both workspaces' locks
// so no apply runs meanwhile. It refuses a destination that has records or
// outputs unless opts.Force is set, in which case they are replaced. The
// source is left as it was.
func Migrate(ctx context.Context, src, dst Backend, opts MigrateOptions) (MigrateResult, error) {
	var res MigrateResult
	if opts.To == "" {
		opts.To = opts.From
	}
	if opts.Lock.Operation == "" {
		opts.Lock.Operation = "migrate"
	}
	opts.Lock = fillLockInfo(opts.Lock)
	from, err := src.Lock(ctx, opts.From, opts.Lock, opts.LockTimeout)
	if err != nil {
		return res, fmt.Errorf("migrate: source: %w", err)
	}
	defer from.Close()
	to, err := dst.Lock(ctx, opts.To, opts.Lock, opts.LockTimeout)
	if err != nil {
		return res, fmt.Errorf("migrate: destination: %w", err)
	}
	defer to.Close()
	importer, ok := to.(SaltImporter)
	if !ok {
		return res, errors.New("migrate: destination backend cannot import a salt")
	}

	existing, err := to.List(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	existingOut, err := to.Outputs(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	if (len(existing) > 0 || len(existingOut) > 0) && !opts.Force {
		return res, fmt.Errorf("migrate: %w: workspace %s has %d records and %d outputs (MigrateOptions.Force replaces them)",
			ErrNotEmpty, opts.To, len(existing), len(existingOut))
	}

	salt, err := from.Salt(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	records, err := from.List(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	outputs, err := from.Outputs(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}

	meta, err := from.Metadata(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	oldMeta, err := to.Metadata(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}

	if err := importer.ImportSalt(ctx, salt); err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	keep := map[string]bool{}
	for _, r := range records {
		keep[r.Address] = true
		if err := to.Put(ctx, r); err != nil {
			return res, fmt.Errorf("migrate: %w", err)
		}
		res.Records++
	}
	for _, r := range existing {
		if !keep[r.Address] {
			if err := to.Delete(ctx, r.Address); err != nil {
				return res, fmt.Errorf("migrate: %w", err)
			}
		}
	}
	// Metadata (the target the workspace belongs to) moves with the records.
	for k, v := range meta {
		if err := to.SetMetadata(ctx, k, v); err != nil {
			return res, fmt.Errorf("migrate: %w", err)
		}
	}
	for k := range oldMeta {
		if _, ok := meta[k]; !ok {
			if err := to.SetMetadata(ctx, k, ""); err != nil {
				return res, fmt.Errorf("migrate: %w", err)
			}
		}
	}
	if err := to.SetOutputs(ctx, outputs); err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	res.Outputs = len(outputs)
	return res, nil
}
