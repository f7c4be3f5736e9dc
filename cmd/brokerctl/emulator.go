package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/brokerctl/brokerctl/pkg/emulator"
)

func init() { register(newEmulatorCmd) }

// emulatorServeOptions are the flags of "brokerctl emulator serve".
type emulatorServeOptions struct {
	Addr         string
	KeyID        string
	Secret       string
	FirmAccount  string
	FirmCash     string
	Speed        string
	RateLimit    int
	Faults       string
	Prices       string
	Data         string
	JournalLimit string
	StrictTaxID  bool
}

func newEmulatorCmd(g *Globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run a local, stateful emulator of the Broker API",
		Long: `The emulator serves the Broker API paths, JSON shapes, status codes, rate-limit
headers and SSE event streams on a local address, with accounts, funding,
journals and orders moving through their sandbox lifecycles. See
docs/emulator.md for the test inputs that trigger failure paths.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newEmulatorServeCmd(g), newEmulatorWaitCmd(g))
	return cmd
}

// newEmulatorWaitCmd waits until an emulator (or any Broker API) answers,
// for CI scripts that start "emulator serve" in the background.
func newEmulatorWaitCmd(g *Globals) *cobra.Command {
	var url string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "wait",
		Short: "Wait until an emulator started in the background answers",
		Example: `  brokerctl emulator serve --addr 127.0.0.1:8080 &
  brokerctl emulator wait --url http://127.0.0.1:8080 --timeout 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			if err := waitForEmulator(ctx, url); err != nil {
				return err
			}
			fmt.Fprintf(g.Stdout, "%s is up\n", url)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://"+emulator.DefaultAddr, "base URL of the emulator")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait")
	return cmd
}

// waitForEmulator polls url until any HTTP answer arrives (a 401 to an
// unauthenticated request means the server is up).
func waitForEmulator(ctx context.Context, url string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(url, "/")+"/v1/accounts", nil)
		if err != nil {
			return &UsageError{Err: fmt.Errorf("--url %q: %w", url, err)}
		}
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("emulator at %s did not answer: %w", url, ctx.Err())
		case <-tick.C:
		}
	}
}

func newEmulatorServeCmd(g *Globals) *cobra.Command {
	o := &emulatorServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the emulator until interrupted",
		Long: `Serve the emulator until SIGINT or SIGTERM. It prints its URL, the key id and
secret it accepts and the firm (sweep) account id, then serves; on shutdown it
finishes in-flight requests and, with --data, saves its state.`,
		Example: `  brokerctl emulator serve --addr 127.0.0.1:8080
  brokerctl emulator serve --speed realistic --data emulator.json
  brokerctl emulator serve --faults 503=0.05,500=0.01,429=0.02,drop=0.05,latency=20ms,seed=7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runEmulatorServe(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Addr, "addr", emulator.DefaultAddr, "address to listen on (port 0 picks a free port)")
	f.StringVar(&o.KeyID, "key", emulator.DefaultKeyID, "API key id to accept")
	f.StringVar(&o.Secret, "secret", emulator.DefaultSecret, "API secret to accept")
	f.StringVar(&o.FirmAccount, "firm-account", emulator.DefaultFirmAccountID, "id (UUID) of the pre-funded firm account")
	f.StringVar(&o.FirmCash, "firm-cash", emulator.DefaultFirmCash, "opening cash of the firm account")
	f.StringVar(&o.Speed, "speed", "instant", "transition speed: instant, realistic, or a factor such as 10")
	f.IntVar(&o.RateLimit, "rate-limit", emulator.DefaultRequestsPerMinute, "requests per minute per bucket (0 disables rate limiting)")
	f.StringVar(&o.Faults, "faults", "", "fault injection, e.g. 503=0.05,500=0.01,502=0.01,429=0.02,drop=0.05,latency=20ms,seed=7")
	f.StringVar(&o.Prices, "prices", "", "JSON or CSV file overriding the built-in price table")
	f.StringVar(&o.Data, "data", "", "JSON file to load state from and save it to (periodically and on shutdown)")
	f.StringVar(&o.JournalLimit, "journal-limit", emulator.DefaultJournalLimit, "JNLC amount above which journals stay pending until end of day")
	f.BoolVar(&o.StrictTaxID, "strict-tax-id", false, "also refuse USA_SSN/USA_ITIN area number 666, as the docs' data validations do")
	return cmd
}

func (o *emulatorServeOptions) options(g *Globals) (emulator.Options, error) {
	speed, err := emulator.ParseSpeed(o.Speed)
	if err != nil {
		return emulator.Options{}, &UsageError{Err: fmt.Errorf("--speed: %w", err)}
	}
	faults, err := emulator.ParseFaults(o.Faults)
	if err != nil {
		return emulator.Options{}, &UsageError{Err: fmt.Errorf("--faults: %w", err)}
	}
	if o.RateLimit < 0 {
		return emulator.Options{}, &UsageError{Err: fmt.Errorf("--rate-limit %d: want 0 (off) or a positive number", o.RateLimit)}
	}
	if c, err := decimal.NewFromString(o.FirmCash); err != nil || c.IsNegative() {
		return emulator.Options{}, &UsageError{Err: fmt.Errorf("--firm-cash %q: want a non-negative decimal such as 50000", o.FirmCash)}
	}
	if j, err := decimal.NewFromString(o.JournalLimit); err != nil || !j.IsPositive() {
		return emulator.Options{}, &UsageError{Err: fmt.Errorf("--journal-limit %q: want a positive decimal such as 10000", o.JournalLimit)}
	}
	rpm := o.RateLimit
	if rpm == 0 {
		rpm = emulator.Unlimited
	}
	opts := emulator.Options{
		Speed: speed, KeyID: o.KeyID, Secret: o.Secret, FirmAccountID: o.FirmAccount, FirmCash: o.FirmCash,
		RequestsPerMinute: rpm, Faults: faults, PriceFile: o.Prices, DataFile: o.Data, JournalLimit: o.JournalLimit,
		StrictTaxID: o.StrictTaxID,
	}
	if g.Debug {
		opts.Logf = func(format string, args ...any) { fmt.Fprintf(g.Stderr, "emulator: "+format+"\n", args...) }
	}
	return opts, nil
}

func runEmulatorServe(ctx context.Context, g *Globals, o *emulatorServeOptions) error {
	if err := checkListenAddr(o.Addr); err != nil {
		return err
	}
	opts, err := o.options(g)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := emulator.Start(ctx, o.Addr, opts)
	if err != nil {
		return err
	}
	key, secret := srv.Emulator.Credentials()
	w := g.Stdout
	fmt.Fprintf(w, "Broker API emulator listening on %s\n", srv.URL)
	fmt.Fprintf(w, "  key id:        %s\n", key)
	fmt.Fprintf(w, "  secret:        %s\n", secret)
	fmt.Fprintf(w, "  firm account:  %s (cash %s)\n", srv.Emulator.FirmAccountID(), opts.FirmCash)
	fmt.Fprintf(w, "  speed:         %s\n", opts.Speed)
	if opts.Faults.Enabled() {
		fmt.Fprintf(w, "  faults:        %s\n", opts.Faults)
	}
	if opts.DataFile != "" {
		fmt.Fprintf(w, "  data file:     %s\n", opts.DataFile)
	}
	fmt.Fprintf(w, "Use it with: --endpoint %s (or APCA_BROKER_ENDPOINT=%s). Press Ctrl-C to stop.\n", srv.URL, srv.URL)
	<-ctx.Done()
	fmt.Fprintln(w, "Shutting down...")
	if err := srv.Close(); err != nil {
		return fmt.Errorf("emulator shutdown: %w", err)
	}
	st := srv.Emulator.Stats()
	fmt.Fprintf(w, "Served %d requests.", st.Requests)
	if opts.DataFile != "" {
		fmt.Fprintf(w, " State saved to %s.", opts.DataFile)
	}
	fmt.Fprintln(w)
	return nil
}
