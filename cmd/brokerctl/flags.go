package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/brokerctl/brokerctl/pkg/executor"
)

// checkRunValues refuses impossible values of apply's and destroy's run
// flags (exit 2), before anything is opened or sent.
func (o *applyOptions) checkRunValues() error {
	if o.Parallelism < 1 {
		return &UsageError{Err: fmt.Errorf("--parallelism %d: want 1 or more", o.Parallelism)}
	}
	return checkLockTimeout(o.LockTimeout)
}

// checkLockTimeout refuses a negative --lock-timeout (exit 2).
func checkLockTimeout(d time.Duration) error {
	if d < 0 {
		return &UsageError{Err: fmt.Errorf("--lock-timeout %s: want 0 (do not wait) or more", d)}
	}
	return nil
}

// checkReplace refuses a --replace address the manifest does not declare
// (exit 2), naming the declared addresses that look like it.
func checkReplace(addrs []string, nodes []*executor.Node) error {
	known := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		known[n.Addr] = true
	}
	for _, a := range addrs {
		if known[a] {
			continue
		}
		base, _, _ := strings.Cut(a, "[")
		var near []string
		for _, n := range nodes {
			if b, _, _ := strings.Cut(n.Addr, "["); b == base && len(near) < 3 {
				near = append(near, n.Addr)
			}
		}
		msg := fmt.Sprintf("--replace %s: no such resource in the manifest", a)
		if len(near) > 0 {
			msg += " (declared: " + strings.Join(near, ", ")
			if len(near) == 3 {
				msg += ", ..."
			}
			msg += ")"
		}
		return &UsageError{Err: errors.New(msg)}
	}
	return nil
}

// checkListenAddr refuses a --addr that is not host:port (exit 2).
func checkListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 0 || n > 65535 {
			err = fmt.Errorf("port %q is not a number from 0 to 65535", port)
		}
	}
	if err != nil {
		return &UsageError{Err: fmt.Errorf("--addr %q: want host:port, e.g. 127.0.0.1:8080 (port 0 picks a free port): %w", addr, err)}
	}
	return nil
}
