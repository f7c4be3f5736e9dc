package state

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Workspace metadata: small key/value facts about a workspace that are not
// resource records, such as the target it was applied against
// (MetaTarget). Both backends keep them in a workspace_meta table.

func (v *sqliteView) Metadata(ctx context.Context) (map[string]string, error) {
	rows, err := v.b.db.QueryContext(ctx, `SELECT key, value FROM workspace_meta WHERE workspace = ?`, v.ws)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: read metadata: %w", v.ws, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, val string
		if err := rows.Scan(&k, &val); err != nil {
			return nil, fmt.Errorf("workspace %s: read metadata: %w", v.ws, err)
		}
		out[k] = val
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("workspace %s: read metadata: %w", v.ws, err)
	}
	return out, nil
}

func (w *sqliteWorkspace) SetMetadata(ctx context.Context, key, value string) error {
	if err := w.check(); err != nil {
		return err
	}
	if err := ValidateMetaKey(key); err != nil {
		return fmt.Errorf("workspace %s: %w", w.ws, err)
	}
	var err error
	if value == "" {
		_, err = w.b.db.ExecContext(ctx, `DELETE FROM workspace_meta WHERE workspace = ? AND key = ?`, w.ws, key)
	} else {
		_, err = w.b.db.ExecContext(ctx, `INSERT INTO workspace_meta (workspace, key, value) VALUES (?, ?, ?)
			ON CONFLICT (workspace, key) DO UPDATE SET value = excluded.value`, w.ws, key, value)
	}
	if err != nil {
		return fmt.Errorf("workspace %s: set metadata %s: %w", w.ws, key, err)
	}
	return nil
}

func (v *pgView) Metadata(ctx context.Context) (map[string]string, error) {
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	rows, err := v.s.conn.Query(ctx, v.b.sql(`SELECT key, value FROM {s}.workspace_meta WHERE workspace = $1`), v.ws)
	if err != nil {
		return nil, fmt.Errorf("workspace %s: read metadata: %w", v.ws, err)
	}
	out := map[string]string{}
	var k, val string
	if _, err := pgx.ForEachRow(rows, []any{&k, &val}, func() error { out[k] = val; return nil }); err != nil {
		return nil, fmt.Errorf("workspace %s: read metadata: %w", v.ws, err)
	}
	return out, nil
}

func (w *pgWorkspace) SetMetadata(ctx context.Context, key, value string) error {
	if err := ValidateMetaKey(key); err != nil {
		return fmt.Errorf("workspace %s: %w", w.ws, err)
	}
	return w.exec(ctx, "set metadata "+key, func(conn *pgx.Conn) error {
		var err error
		if value == "" {
			_, err = conn.Exec(ctx, w.b.sql(`DELETE FROM {s}.workspace_meta WHERE workspace = $1 AND key = $2`), w.ws, key)
		} else {
			_, err = conn.Exec(ctx, w.b.sql(`INSERT INTO {s}.workspace_meta (workspace, key, value) VALUES ($1, $2, $3)
				ON CONFLICT (workspace, key) DO UPDATE SET value = excluded.value`), w.ws, key, value)
		}
		return err
	})
}
