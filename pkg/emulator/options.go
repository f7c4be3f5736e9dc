package emulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Documented defaults. A client configured with DefaultKeyID/DefaultSecret
// talks to a freshly started emulator without any other set-up.
const (
	// DefaultKeyID is the API key id the emulator accepts when Options.KeyID is empty.
	DefaultKeyID = "CKEMULATOR0000000001"
	// DefaultSecret is the API secret the emulator accepts when Options.Secret is empty.
	DefaultSecret = "emulator-secret-do-not-use-in-production"
	// DefaultFirmAccountID is the id of the pre-funded firm (sweep) account.
	DefaultFirmAccountID = "8f8c8cee-2591-4f83-be12-82c659b5e748"
	// DefaultFirmAccountNumber is the firm account's account_number.
	DefaultFirmAccountNumber = "200000001"
	// DefaultFirmCash is the firm account's opening cash, like the sandbox's
	// "pre-funded for $50,000" sweep account.
	DefaultFirmCash = "50000"
	// DefaultRequestsPerMinute is the Broker API's documented rate limit.
	DefaultRequestsPerMinute = 1000
	// DefaultJournalLimit is the JNLC amount above which a journal waits in
	// "pending" until the simulated end of day. The docs quote a $50 default,
	// which would park every realistic funding journal; partners negotiate
	// higher limits, so the emulator defaults to one that lets firm-funded
	// onboarding flows execute at once while still letting a test reach the
	// pending path with a large amount or a fixture.
	DefaultJournalLimit = "10000"
	// DefaultSnapshotInterval is how often a DataFile snapshot is written.
	DefaultSnapshotInterval = 30 * time.Second
	// DefaultAddr is where the standalone server listens.
	DefaultAddr = "127.0.0.1:8080"
)

// Unlimited, as Options.RequestsPerMinute, disables rate limiting.
const Unlimited = -1

// Speed scales every status transition delay. Zero (SpeedInstant) makes
// transitions due immediately: a create answers with the initial status and
// the next request already sees the final one, with no real waiting.
// SpeedRealistic (1) uses delays like the sandbox's; a factor of 10 runs the
// realistic timeline ten times faster.
type Speed float64

const (
	// SpeedInstant completes transitions without waiting (the default).
	SpeedInstant Speed = 0
	// SpeedRealistic waits seconds, like the sandbox.
	SpeedRealistic Speed = 1
)

// ParseSpeed reads "instant", "realistic", or a positive factor such as
// "10" or "10x".
func ParseSpeed(s string) (Speed, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "instant":
		return SpeedInstant, nil
	case "realistic":
		return SpeedRealistic, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "x"), 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("speed %q: want instant, realistic or a positive factor such as 10", s)
	}
	return Speed(f), nil
}

// String renders the speed as ParseSpeed accepts it.
func (s Speed) String() string {
	switch s {
	case SpeedInstant:
		return "instant"
	case SpeedRealistic:
		return "realistic"
	}
	return strconv.FormatFloat(float64(s), 'f', -1, 64) + "x"
}

// scale turns a realistic delay into the delay at this speed.
func (s Speed) scale(d time.Duration) time.Duration {
	if s <= 0 {
		return 0
	}
	return time.Duration(float64(d) / float64(s))
}

// Options configures an Emulator. The zero value is usable: instant speed,
// the wall clock, the default credentials and firm account, 1,000 requests
// per minute and no faults.
type Options struct {
	// Clock drives every timer; nil means the wall clock.
	Clock Clock
	// Speed scales transition delays (SpeedInstant by default).
	Speed Speed
	// KeyID and Secret are the Basic-auth pair accepted (defaults above).
	KeyID, Secret string
	// FirmAccountID is the firm (sweep) account's id (DefaultFirmAccountID).
	FirmAccountID string
	// FirmCash is the firm account's opening cash as a decimal string (DefaultFirmCash).
	FirmCash string
	// RequestsPerMinute is the rate limit (0: DefaultRequestsPerMinute; Unlimited: none).
	RequestsPerMinute int
	// Faults injects errors, latency and dropped connections.
	Faults Faults
	// PriceFile overrides or extends the built-in price table (JSON or CSV).
	PriceFile string
	// DataFile, when set, is loaded at start and saved periodically and on Close.
	DataFile string
	// SnapshotInterval is how often DataFile is written (DefaultSnapshotInterval).
	SnapshotInterval time.Duration
	// JournalLimit is the JNLC amount above which a journal stays pending
	// until end of day (DefaultJournalLimit).
	JournalLimit string
	// StrictTaxID also refuses USA_SSN/USA_ITIN area number 666, as the
	// docs' data validations do. Off by default: the spec's own example
	// SSN (666-55-4321) and most test data use that area.
	StrictTaxID bool
	// Logf, when set, receives one line per request (method, path, status,
	// duration) and per notable event. Bodies and credentials are never
	// logged.
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.KeyID == "" {
		o.KeyID = DefaultKeyID
	}
	if o.Secret == "" {
		o.Secret = DefaultSecret
	}
	if o.FirmAccountID == "" {
		o.FirmAccountID = DefaultFirmAccountID
	}
	if o.FirmCash == "" {
		o.FirmCash = DefaultFirmCash
	}
	if o.RequestsPerMinute == 0 {
		o.RequestsPerMinute = DefaultRequestsPerMinute
	}
	if o.JournalLimit == "" {
		o.JournalLimit = DefaultJournalLimit
	}
	if o.SnapshotInterval <= 0 {
		o.SnapshotInterval = DefaultSnapshotInterval
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}
