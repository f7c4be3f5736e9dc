package state

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash helper runs in a child process (this test binary re-executed):
// it locks a workspace and Puts records in a loop, printing "ack N" after
// each Put returns, until it is killed.
const crashHelperEnv = "BROKERCTL_STATE_CRASH_HELPER_DSN"

func TestCrashHelper(t *testing.T) {
	dsn := os.Getenv(crashHelperEnv)
	if dsn == "" {
		t.Skip("helper process for TestKilledHolder")
	}
	ctx := context.Background()
	b, err := Open(ctx, dsn)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	info := NewLockInfo("apply", "test")
	w, err := b.Lock(ctx, "default", info, 5*time.Second)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("locked", info.ID)
	big := `{"padding": "` + strings.Repeat("x", 4000) + `"}`
	for i := 0; ; i++ {
		r := Record{Address: fmt.Sprintf("transfers.t%06d", i), Kind: "transfer", Phase: PhaseIntent,
			IdempotencyKey: fmt.Sprintf("key-%d", i), Request: []byte(big)}
		if err := w.Put(ctx, r); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("ack", i)
	}
}

// TestKilledHolder kills (SIGKILL) a process in the middle of a Put loop and
// checks that the store is intact, every acknowledged Put survived, and the
// lock was released with the process.
func TestKilledHolder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		for round := range 3 {
			t.Run(fmt.Sprint(round), func(t *testing.T) { killHolder(t, bk) })
		}
	})
}

func killHolder(t *testing.T, bk backendKind) {
	{
		ctx := context.Background()
		dsn := bk.newDSN(t)
		openBackend(t, dsn).Close() // migrate before the child starts

		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashHelperEnv+"="+dsn)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		sc := bufio.NewScanner(out)
		lockID, acked := "", -1
		killAfter := 20 + mathrand.IntN(300)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 2 {
				continue
			}
			switch f[0] {
			case "locked":
				lockID = f[1]
			case "ack":
				acked, _ = strconv.Atoi(f[1])
			case "error":
				t.Fatalf("helper: %s", sc.Text())
			}
			if acked == killAfter {
				// Kill while it is writing the next record.
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
		}
		cmd.Wait()
		if acked < killAfter {
			t.Fatalf("helper stopped after %d acknowledged Puts", acked+1)
		}

		// The lock died with the process.
		b := openBackend(t, dsn)
		w, err := b.Lock(ctx, "default", testLockInfo("after-crash"), 10*time.Second)
		if err != nil {
			t.Fatalf("Lock after the holder was killed: %v", err)
		}
		defer w.Close()
		recs, err := w.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) < acked+1 {
			t.Fatalf("%d records survived, %d were acknowledged", len(recs), acked+1)
		}
		for i := 0; i <= acked; i++ {
			if want := fmt.Sprintf("transfers.t%06d", i); recs[i].Address != want || recs[i].IdempotencyKey != fmt.Sprintf("key-%d", i) {
				t.Fatalf("record %d = %s, want %s", i, recs[i].Address, want)
			}
		}
		t.Logf("%d Puts acknowledged before SIGKILL, %d records present", acked+1, len(recs))
		if sb, ok := b.(*sqliteBackend); ok {
			var res string
			if err := sb.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
				t.Errorf("integrity_check = %q, %v", res, err)
			}
		}
		// The killed run's lock record was replaced, so its ID no longer unlocks anything.
		if err := b.ForceUnlock(ctx, "default", lockID); !errors.Is(err, ErrNoLock) {
			t.Errorf("ForceUnlock of the dead holder's ID after relock: %v", err)
		}
	}
}

// TestForceUnlockDeadHolder clears the record a killed holder left behind.
func TestForceUnlockDeadHolder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bk backendKind) {
		ctx := context.Background()
		dsn := bk.newDSN(t)
		b1, b2 := openBackend(t, dsn), openBackend(t, dsn)
		w, err := b1.Lock(ctx, "default", testLockInfo("dead"), 0)
		if err != nil {
			t.Fatal(err)
		}
		simulateDeath(t, w)
		// The record is left, but the lock is gone: LockHolder says unlocked.
		if h, err := b2.LockHolder(ctx, "default"); err != nil || h != nil {
			t.Errorf("LockHolder of a dead holder = %+v, %v", h, err)
		}
		if err := b2.ForceUnlock(ctx, "default", "dead"); err != nil {
			t.Fatalf("ForceUnlock of a dead holder: %v", err)
		}
		if err := b2.ForceUnlock(ctx, "default", "dead"); !errors.Is(err, ErrNoLock) {
			t.Errorf("second ForceUnlock: %v", err)
		}
	})
}

// simulateDeath drops a workspace's lock the way a dying process does,
// without running Close: the holder record stays behind.
func simulateDeath(t *testing.T, w Workspace) {
	t.Helper()
	switch w := w.(type) {
	case *sqliteWorkspace:
		w.file.Close() // the kernel drops the flock
	case *pgWorkspace:
		// Cut the socket under the session, as the kernel does for a killed process.
		w.s.conn.PgConn().Conn().Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		ok, err := pollLock(ctx, 10*time.Second, func() (bool, error) {
			h, err := w.b.LockHolder(ctx, w.ws)
			return h == nil, err
		})
		if err != nil || !ok {
			t.Fatalf("the server kept the lock of a dead session: %v", err)
		}
	default:
		t.Fatalf("unknown workspace %T", w)
	}
}
