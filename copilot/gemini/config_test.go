package gemini

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secretKey = "AIzaSECRET-test-key-0123456789"

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigFromEnv(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want Config
		err  string // substring; "" means no error
	}{
		{
			name: "key only: defaults",
			env:  map[string]string{"GEMINI_API_KEY": secretKey},
			want: Config{APIKey: secretKey, Model: "gemini-2.5-flash"},
		},
		{
			name: "GOOGLE_API_KEY works too",
			env:  map[string]string{"GOOGLE_API_KEY": secretKey},
			want: Config{APIKey: secretKey, Model: "gemini-2.5-flash"},
		},
		{
			name: "GEMINI_API_KEY wins over GOOGLE_API_KEY",
			env:  map[string]string{"GEMINI_API_KEY": secretKey, "GOOGLE_API_KEY": "AIzaOTHER-0123456789"},
			want: Config{APIKey: secretKey, Model: "gemini-2.5-flash"},
		},
		{
			name: "everything set",
			env: map[string]string{"GEMINI_API_KEY": secretKey, "GEMINI_BASE_URL": "http://127.0.0.1:9999/", "GEMINI_MODEL": "gemini-2.5-pro",
				"GEMINI_TIMEOUT": "45s", "GEMINI_RETRIES": "4", "GEMINI_CANDIDATES": "12"},
			want: Config{APIKey: secretKey, BaseURL: "http://127.0.0.1:9999/", Model: "gemini-2.5-pro", Timeout: 45 * time.Second, Retries: 4, Candidates: 12},
		},
		{
			name: "GEMINI_RETRIES=0 means no retries",
			env:  map[string]string{"GEMINI_API_KEY": secretKey, "GEMINI_RETRIES": "0"},
			want: Config{APIKey: secretKey, Model: "gemini-2.5-flash", Retries: -1},
		},
		{
			name: "Vertex AI",
			env:  map[string]string{"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_CLOUD_PROJECT": "acme-gov", "GOOGLE_CLOUD_LOCATION": "us-central1"},
			want: Config{UseVertex: true, Project: "acme-gov", Location: "us-central1", Model: "gemini-2.5-flash"},
		},
		{
			name: "Vertex AI ignores the API key",
			env:  map[string]string{"GOOGLE_GENAI_USE_VERTEXAI": "1", "GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_CLOUD_LOCATION": "global", "GEMINI_API_KEY": secretKey},
			want: Config{UseVertex: true, Project: "p", Location: "global", Model: "gemini-2.5-flash"},
		},
		{name: "no key", env: map[string]string{}, err: "GEMINI_API_KEY is not set"},
		{name: "Vertex without project", env: map[string]string{"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_CLOUD_LOCATION": "us-central1"}, err: "GOOGLE_CLOUD_PROJECT is not set"},
		{name: "Vertex without location", env: map[string]string{"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_CLOUD_PROJECT": "p"}, err: "GOOGLE_CLOUD_LOCATION is not set"},
		{name: "bad Vertex switch", env: map[string]string{"GOOGLE_GENAI_USE_VERTEXAI": "sometimes", "GEMINI_API_KEY": secretKey}, err: "GOOGLE_GENAI_USE_VERTEXAI"},
		{name: "bad timeout", env: map[string]string{"GEMINI_API_KEY": secretKey, "GEMINI_TIMEOUT": "20"}, err: `GEMINI_TIMEOUT="20"`},
		{name: "negative timeout", env: map[string]string{"GEMINI_API_KEY": secretKey, "GEMINI_TIMEOUT": "-5s"}, err: "GEMINI_TIMEOUT"},
		{name: "bad retries", env: map[string]string{"GEMINI_API_KEY": secretKey, "GEMINI_RETRIES": "lots"}, err: "GEMINI_RETRIES"},
		{name: "too many retries", env: map[string]string{"GEMINI_API_KEY": secretKey, "GEMINI_RETRIES": "100"}, err: "GEMINI_RETRIES"},
		{name: "bad candidates", env: map[string]string{"GEMINI_API_KEY": secretKey, "GEMINI_CANDIDATES": "0"}, err: "GEMINI_CANDIDATES"},
		{name: "base URL without scheme", env: map[string]string{"GEMINI_API_KEY": secretKey, "GEMINI_BASE_URL": "127.0.0.1:8080"}, err: "GEMINI_BASE_URL"},
		{name: "model with a path", env: map[string]string{"GEMINI_API_KEY": secretKey, "GEMINI_MODEL": "models/gemini-2.5-flash"}, err: "GEMINI_MODEL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ConfigFromEnv(env(tc.env))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.NotContains(t, err.Error(), secretKey)
				assert.Equal(t, Config{}, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{APIKey: secretKey}.withDefaults()
	assert.Equal(t, DefaultModel, c.Model)
	assert.Equal(t, 20*time.Second, c.Timeout)
	assert.Equal(t, 2, c.Retries)
	assert.Equal(t, 8, c.Candidates)
	assert.NotNil(t, c.Logger)
	assert.Equal(t, 0, Config{APIKey: secretKey, Retries: -1}.withDefaults().Retries)
	assert.Equal(t, 5, Config{APIKey: secretKey, Retries: 5}.withDefaults().Retries)
}

func TestNewRejectsBadConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no key", Config{}, "API key (GEMINI_API_KEY)"},
		{"Vertex without project", Config{UseVertex: true, Location: "x"}, "GOOGLE_CLOUD_PROJECT"},
		{"base URL", Config{APIKey: secretKey, BaseURL: "ftp://x"}, "GEMINI_BASE_URL"},
		{"base URL with credentials", Config{APIKey: secretKey, BaseURL: "ftp://user:hunter2@x"}, "GEMINI_BASE_URL"},
		{"candidates", Config{APIKey: secretKey, Candidates: 500}, "GEMINI_CANDIDATES"},
		{"timeout", Config{APIKey: secretKey, Timeout: -time.Second}, "GEMINI_TIMEOUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(t.Context(), tc.cfg)
			require.Error(t, err)
			assert.Nil(t, e)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), secretKey)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestNewDoesNotCallTheService(t *testing.T) {
	// An unroutable base URL is fine until the first draft.
	e, err := New(t.Context(), Config{APIKey: secretKey, BaseURL: "http://127.0.0.1:1/"})
	require.NoError(t, err)
	assert.Equal(t, "gemini-2.5-flash", e.Model())
}

func TestRedact(t *testing.T) {
	e := &Engine{cfg: Config{APIKey: secretKey}}
	got := e.redact("ClientConfig{APIKey:\"" + secretKey + "\"} and AIzaSyD-another-key_12345")
	assert.NotContains(t, got, secretKey)
	assert.NotContains(t, got, "AIzaSyD-another-key_12345")
	assert.Equal(t, `ClientConfig{APIKey:"[redacted]"} and [redacted]`, got)
}

// Vertex AI needs Application Default Credentials; without them New fails
// at once with an error that says so, rather than at the first draft.
func TestVertexWithoutCredentials(t *testing.T) {
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", t.TempDir()+"/missing.json")
	e, err := New(t.Context(), Config{UseVertex: true, Project: "acme-gov", Location: "us-central1"})
	require.Error(t, err)
	assert.Nil(t, e)
	assert.Contains(t, err.Error(), "gemini: creating the client")
	assert.Contains(t, err.Error(), "credentials")
}
