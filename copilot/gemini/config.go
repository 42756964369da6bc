package gemini

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by New to a zero Config field.
const (
	DefaultModel      = "gemini-2.5-flash"
	DefaultTimeout    = 20 * time.Second
	DefaultRetries    = 2
	DefaultCandidates = 8
	DefaultBackoff    = 500 * time.Millisecond
	// MaxRetryDelay caps how long one retry waits, even when the service asks
	// for longer (google.rpc.RetryInfo on a 429).
	MaxRetryDelay = 30 * time.Second
)

// Config says how to reach Gemini. Zero fields take the defaults above.
type Config struct {
	// APIKey is the Gemini API key. It is a secret: Steward never logs it or
	// puts it into an error or a draft.
	APIKey string
	// BaseURL overrides the service endpoint (a proxy, or a local fake).
	BaseURL string
	// Model is the model name, "gemini-2.5-flash" by default.
	Model string
	// UseVertex sends requests to Vertex AI with Application Default
	// Credentials instead of the Gemini API with a key.
	UseVertex         bool
	Project, Location string
	// Timeout bounds each generateContent call (each attempt), 20 s by default.
	Timeout time.Duration
	// Retries is how many times a call is repeated after a 408, 429 or 5xx
	// answer, a timed-out attempt or a dropped connection: 0 means the
	// default (2), a negative number means never.
	Retries int
	// Candidates is how many catalog entries per phrase the model may choose
	// from, 8 by default.
	Candidates int
	// Backoff is the wait before the first retry; it doubles each time, with
	// jitter, up to MaxRetryDelay. 500 ms by default.
	Backoff time.Duration
	// Logger receives one line per failed attempt and per draft; slog.Default()
	// when nil.
	Logger *slog.Logger
}

// Environment variables ConfigFromEnv reads.
const (
	EnvAPIKey       = "GEMINI_API_KEY"
	EnvGoogleAPIKey = "GOOGLE_API_KEY"
	EnvBaseURL      = "GEMINI_BASE_URL"
	EnvModel        = "GEMINI_MODEL"
	EnvTimeout      = "GEMINI_TIMEOUT"
	EnvRetries      = "GEMINI_RETRIES"
	EnvCandidates   = "GEMINI_CANDIDATES"
	EnvUseVertex    = "GOOGLE_GENAI_USE_VERTEXAI"
	EnvProject      = "GOOGLE_CLOUD_PROJECT"
	EnvLocation     = "GOOGLE_CLOUD_LOCATION"
)

// ConfigFromEnv reads the engine's settings from the environment:
// GEMINI_API_KEY (or GOOGLE_API_KEY), GEMINI_BASE_URL, GEMINI_MODEL,
// GEMINI_TIMEOUT (a Go duration), GEMINI_RETRIES, GEMINI_CANDIDATES, and for
// Vertex AI GOOGLE_GENAI_USE_VERTEXAI=true with GOOGLE_CLOUD_PROJECT and
// GOOGLE_CLOUD_LOCATION. A missing or malformed setting is an error that
// names the variable (and never echoes a key).
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	cfg := Config{
		BaseURL: get(EnvBaseURL),
		Model:   get(EnvModel),
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}

	switch v := strings.ToLower(get(EnvUseVertex)); v {
	case "", "0", "false", "no":
	case "1", "true", "yes":
		cfg.UseVertex = true
	default:
		return Config{}, fmt.Errorf("%s=%q: want true or false", EnvUseVertex, v)
	}

	if cfg.UseVertex {
		cfg.Project, cfg.Location = get(EnvProject), get(EnvLocation)
		if cfg.Project == "" {
			return Config{}, fmt.Errorf("%s is not set: Vertex AI (%s=true) needs the Google Cloud project to bill", EnvProject, EnvUseVertex)
		}
		if cfg.Location == "" {
			return Config{}, fmt.Errorf("%s is not set: Vertex AI (%s=true) needs a location such as us-central1 or global", EnvLocation, EnvUseVertex)
		}
	} else {
		cfg.APIKey = get(EnvAPIKey)
		if cfg.APIKey == "" {
			cfg.APIKey = get(EnvGoogleAPIKey)
		}
		if cfg.APIKey == "" {
			return Config{}, fmt.Errorf("%s is not set: the gemini engine needs a Gemini API key (%s also works), or %s=true with %s and %s to use Vertex AI", EnvAPIKey, EnvGoogleAPIKey, EnvUseVertex, EnvProject, EnvLocation)
		}
	}

	if v := get(EnvTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("%s=%q: want a positive Go duration such as 20s", EnvTimeout, v)
		}
		cfg.Timeout = d
	}
	if v := get(EnvRetries); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10 {
			return Config{}, fmt.Errorf("%s=%q: want a whole number from 0 to 10", EnvRetries, v)
		}
		cfg.Retries = n
		if n == 0 {
			cfg.Retries = -1
		}
	}
	if v := get(EnvCandidates); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 50 {
			return Config{}, fmt.Errorf("%s=%q: want a whole number from 1 to 50", EnvCandidates, v)
		}
		cfg.Candidates = n
	}
	if err := cfg.check(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.Model == "" {
		c.Model = DefaultModel
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	switch {
	case c.Retries == 0:
		c.Retries = DefaultRetries
	case c.Retries < 0:
		c.Retries = 0
	}
	if c.Candidates == 0 {
		c.Candidates = DefaultCandidates
	}
	if c.Backoff == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// check validates a Config after defaults; errors name the setting.
func (c Config) check() error {
	var errs []error
	if c.UseVertex {
		if c.Project == "" {
			errs = append(errs, fmt.Errorf("Vertex AI needs a project (%s)", EnvProject))
		}
		if c.Location == "" {
			errs = append(errs, fmt.Errorf("Vertex AI needs a location (%s)", EnvLocation))
		}
	} else if c.APIKey == "" {
		errs = append(errs, fmt.Errorf("the Gemini API needs an API key (%s)", EnvAPIKey))
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil {
			errs = append(errs, fmt.Errorf("base URL (%s) does not parse as a URL", EnvBaseURL))
		} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("base URL %q (%s) is not an http(s) URL", u.Redacted(), EnvBaseURL))
		}
	}
	if strings.ContainsAny(c.Model, "/: ") {
		errs = append(errs, fmt.Errorf("model %q (%s) is not a model name such as %s", c.Model, EnvModel, DefaultModel))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s (%s) is negative", c.Timeout, EnvTimeout))
	}
	if c.Candidates < 0 || c.Candidates > 50 {
		errs = append(errs, fmt.Errorf("candidates per phrase %d (%s) is outside 1..50", c.Candidates, EnvCandidates))
	}
	if c.Backoff < 0 {
		errs = append(errs, fmt.Errorf("backoff %s is negative", c.Backoff))
	}
	if len(errs) > 0 {
		return fmt.Errorf("gemini config: %w", errors.Join(errs...))
	}
	return nil
}
