package broker

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Endpoints of the Broker API.
const (
	SandboxURL    = "https://broker-api.sandbox.alpaca.markets"
	ProductionURL = "https://broker-api.alpaca.markets"
)

// Environment variables read by LoadCredentials (the official SDK names).
const (
	EnvKeyID    = "APCA_API_KEY_ID"
	EnvSecret   = "APCA_API_SECRET_KEY"
	EnvEndpoint = "APCA_BROKER_ENDPOINT"
)

// Defaults applied by New.
const (
	DefaultRequestsPerMinute = 1000
	DefaultMaxRetries        = 4
	DefaultRetryWaitMin      = 500 * time.Millisecond
	DefaultRetryWaitMax      = 30 * time.Second
	DefaultTimeout           = 60 * time.Second
	DefaultUserAgent         = "brokerctl"
)

// Config configures a Client. Only BaseURL, KeyID and Secret are required.
type Config struct {
	// BaseURL is the API base, e.g. SandboxURL (see ResolveEndpoint).
	BaseURL string
	// KeyID and Secret are the broker API key pair, sent as HTTP Basic auth.
	KeyID, Secret string
	// HTTPClient is used for transport; nil means a pooled client with a
	// DefaultTimeout timeout. It is copied, never modified. Event streams
	// use the same transport without the timeout.
	HTTPClient *http.Client
	// RequestsPerMinute is the client-side rate limit; 0 means
	// DefaultRequestsPerMinute, negative means unlimited.
	RequestsPerMinute int
	// Burst is the token bucket size; 0 means a small default.
	Burst int
	// MaxRetries is the number of retries after the first attempt; 0 means
	// DefaultMaxRetries, negative means none.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the backoff; RetryWaitMax also caps
	// waits the server asks for (Retry-After, X-RateLimit-Reset).
	RetryWaitMin, RetryWaitMax time.Duration
	// Logger receives one debug line per request (method, path without
	// query, status, attempt, request id). It never sees secrets,
	// Authorization headers, query strings or bodies. nil means silent.
	Logger *slog.Logger
	// UserAgent is sent as User-Agent; "" means DefaultUserAgent.
	UserAgent string
}

// ResolveEndpoint maps "sandbox", "production" (also "live", "paper") or an
// http(s) base URL to a base URL without a trailing slash. "" means sandbox.
func ResolveEndpoint(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "sandbox", "paper":
		return SandboxURL, nil
	case "production", "prod", "live":
		return ProductionURL, nil
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("invalid endpoint %q: want sandbox, production or an http(s):// base URL", s)
	}
	if u.User != nil {
		return "", fmt.Errorf("invalid endpoint %q: credentials do not belong in the URL", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("invalid endpoint %q: must not carry a query or fragment", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Credentials is a broker API key pair and the endpoint it belongs to.
// Printing it with any fmt verb, slog or JSON never shows the secret.
type Credentials struct {
	KeyID    string
	Secret   string
	Endpoint string // "sandbox", "production" or a URL; "" if not given
	Source   string // where they came from: "env" or the config file path
}

// redactedKey shows the first four characters of a key id.
func redactedKey(k string) string {
	if len(k) <= 4 {
		return "(redacted)"
	}
	return k[:4] + "…(redacted)"
}

// String shows the key id prefix and never the secret.
func (c Credentials) String() string {
	s := "key " + redactedKey(c.KeyID)
	if c.Endpoint != "" {
		s += " for " + c.Endpoint
	}
	if c.Source != "" {
		s += " from " + c.Source
	}
	return s
}

// GoString is used by %#v.
func (c Credentials) GoString() string { return "broker.Credentials{" + c.String() + "}" }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, ...) use String.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(c.GoString()))
		return
	}
	if verb == 'q' {
		_, _ = fmt.Fprintf(f, "%q", c.String())
		return
	}
	_, _ = f.Write([]byte(c.String()))
}

// LogValue keeps the secret out of slog output.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON keeps the secret out of JSON output.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`{"key_id":%q,"endpoint":%q,"source":%q}`, redactedKey(c.KeyID), c.Endpoint, c.Source)), nil
}

// fileConfig is the YAML config file format.
type fileConfig struct {
	KeyID     string `yaml:"key_id"`
	SecretKey string `yaml:"secret_key"`
	Endpoint  string `yaml:"endpoint"`

	// credentialLike lists other top-level keys whose names contain "key",
	// "secret" or "id": likely misspellings of key_id or secret_key.
	credentialLike []string
}

// missing names the credential keys the file lacks.
func (fc fileConfig) missing() string {
	switch {
	case fc.KeyID == "" && fc.SecretKey == "":
		return "key_id and secret_key are missing"
	case fc.KeyID == "":
		return "key_id is missing (both key_id and secret_key are required)"
	default:
		return "secret_key is missing (both key_id and secret_key are required)"
	}
}

// misspelt points at keys that look like misspelt credential keys; their
// values are never shown.
func (fc fileConfig) misspelt() string {
	if len(fc.credentialLike) == 0 {
		return ""
	}
	return fmt.Sprintf(" (the file has %s: the keys brokerctl reads are key_id and secret_key)", strings.Join(fc.credentialLike, ", "))
}

// DefaultConfigPath is $XDG_CONFIG_HOME/brokerctl/config.yaml, else
// ~/.config/brokerctl/config.yaml; "" when neither variable is set.
func DefaultConfigPath(getenv func(string) string) string {
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "brokerctl", "config.yaml")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "brokerctl", "config.yaml")
	}
	return ""
}

// LoadCredentials finds the API key pair: first the environment
// (APCA_API_KEY_ID and APCA_API_SECRET_KEY, endpoint from
// APCA_BROKER_ENDPOINT), then the YAML config file at configPath (or
// DefaultConfigPath when configPath is ""). found is false when neither
// holds a key. An explicitly named file that is missing is an error; a
// config file readable by group or others is refused. Half a key pair is an
// error that names what is missing.
func LoadCredentials(getenv func(string) string, configPath string) (Credentials, bool, error) {
	id, secret := getenv(EnvKeyID), getenv(EnvSecret)
	if id != "" || secret != "" {
		if id == "" || secret == "" {
			return Credentials{}, false, fmt.Errorf("incomplete credentials in the environment: set both %s and %s", EnvKeyID, EnvSecret)
		}
		return Credentials{KeyID: id, Secret: secret, Endpoint: getenv(EnvEndpoint), Source: "env"}, true, nil
	}
	explicit := configPath != ""
	if !explicit {
		configPath = DefaultConfigPath(getenv)
		if configPath == "" {
			return Credentials{}, false, nil
		}
	}
	fc, err := readConfigFile(configPath)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return Credentials{}, false, nil
	}
	if err != nil {
		return Credentials{}, false, err
	}
	if fc.KeyID == "" && fc.SecretKey == "" && len(fc.credentialLike) == 0 {
		return Credentials{Endpoint: fc.Endpoint, Source: configPath}, false, nil
	}
	if fc.KeyID == "" || fc.SecretKey == "" {
		return Credentials{}, false, fmt.Errorf("%s: incomplete credentials: %s%s", configPath, fc.missing(), fc.misspelt())
	}
	endpoint := fc.Endpoint
	if e := getenv(EnvEndpoint); e != "" {
		endpoint = e
	}
	return Credentials{KeyID: fc.KeyID, Secret: fc.SecretKey, Endpoint: endpoint, Source: configPath}, true, nil
}

func readConfigFile(path string) (fileConfig, error) {
	var fc fileConfig
	st, err := os.Stat(path)
	if err != nil {
		return fc, fmt.Errorf("config file: %w", err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return fc, fmt.Errorf("%s: config file holds an API secret but is readable by others (mode %04o); run: chmod 600 %s", path, st.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return fc, fmt.Errorf("config file: %w", err)
	}
	// Other keys may belong to other parts of brokerctl, so they are allowed.
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return fc, fmt.Errorf("%s: %v", path, err)
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(raw, &top); err == nil {
		for k := range top {
			lk := strings.ToLower(k)
			if k == "key_id" || k == "secret_key" || k == "endpoint" {
				continue
			}
			if strings.Contains(lk, "key") || strings.Contains(lk, "secret") || strings.HasSuffix(lk, "id") {
				fc.credentialLike = append(fc.credentialLike, k)
			}
		}
		sort.Strings(fc.credentialLike)
	}
	return fc, nil
}
