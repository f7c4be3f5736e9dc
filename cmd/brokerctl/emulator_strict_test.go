package main

import (
	"testing"

	"github.com/brokerctl/brokerctl/pkg/emulator"
)

// TestEmulatorStrictTaxIDFlag: the flag exists, is off by default, and
// its option reaches emulator.Options.
func TestEmulatorStrictTaxIDFlag(t *testing.T) {
	g := &Globals{}
	f := newEmulatorServeCmd(g).Flags().Lookup("strict-tax-id")
	if f == nil || f.DefValue != "false" {
		t.Fatalf("--strict-tax-id flag: %+v", f)
	}
	for _, want := range []bool{false, true} {
		o := &emulatorServeOptions{Speed: "instant", FirmCash: emulator.DefaultFirmCash,
			JournalLimit: emulator.DefaultJournalLimit, StrictTaxID: want}
		opts, err := o.options(g)
		if err != nil || opts.StrictTaxID != want {
			t.Errorf("StrictTaxID %v (%v), want %v", opts.StrictTaxID, err, want)
		}
	}
}
