package geminifake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"

	"github.com/steward-dev/steward/internal/testsupport/geminifake"
)

func newClient(t *testing.T, s *geminifake.Server, key string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(t.Context(), &genai.ClientConfig{
		APIKey:      key,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: s.URL},
	})
	require.NoError(t, err)
	return c
}

func structuredConfig() *genai.GenerateContentConfig {
	return &genai.GenerateContentConfig{
		Temperature:       genai.Ptr[float32](0),
		ResponseMIMEType:  "application/json",
		SystemInstruction: genai.NewContentFromText("You pick colours.", genai.RoleUser),
		ResponseSchema: &genai.Schema{
			Type: genai.TypeObject,
			Properties: map[string]*genai.Schema{
				"colour": {Type: genai.TypeString, Enum: []string{"red", "green"}},
				"why":    {Type: genai.TypeString},
			},
			Required:         []string{"colour"},
			PropertyOrdering: []string{"colour", "why"},
		},
	}
}

// The real client's request is accepted, recorded in full, and the scripted
// answer comes back through the client's own response parsing.
func TestRealClientRoundTrip(t *testing.T) {
	s := geminifake.New(t)
	s.Enqueue(geminifake.JSON(map[string]string{"colour": "red", "why": "warm"}))
	c := newClient(t, s, s.APIKey)

	resp, err := c.Models.GenerateContent(t.Context(), "gemini-2.5-flash", genai.Text("Pick a colour."), structuredConfig())
	require.NoError(t, err)
	assert.JSONEq(t, `{"colour":"red","why":"warm"}`, resp.Text())
	require.Len(t, resp.Candidates, 1)
	assert.Equal(t, genai.FinishReasonStop, resp.Candidates[0].FinishReason)
	require.NotNil(t, resp.UsageMetadata)
	assert.Positive(t, resp.UsageMetadata.PromptTokenCount)
	assert.Equal(t, resp.UsageMetadata.PromptTokenCount+resp.UsageMetadata.CandidatesTokenCount, resp.UsageMetadata.TotalTokenCount)
	assert.Equal(t, "gemini-2.5-flash", resp.ModelVersion)

	reqs := s.Requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Empty(t, r.Problem)
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/v1beta/models/gemini-2.5-flash:generateContent", r.Path)
	assert.Equal(t, "gemini-2.5-flash", r.Model)
	assert.Equal(t, s.APIKey, r.Header.Get("x-goog-api-key"))
	require.NotNil(t, r.Body.GenerationConfig)
	require.NotNil(t, r.Body.GenerationConfig.Temperature, "temperature 0 must be sent, not omitted")
	assert.Zero(t, *r.Body.GenerationConfig.Temperature)
	assert.Equal(t, "application/json", r.Body.GenerationConfig.ResponseMIMEType)
	assert.Equal(t, map[string][]string{"colour": {"red", "green"}}, r.Schema().Enums())
	assert.Equal(t, "STRING", r.Schema().Lookup("colour").Type)
	assert.Equal(t, "You pick colours.\nPick a colour.\n", r.Prompt())
	assert.Zero(t, s.Pending())
}

func TestHandlerSeesTheRequest(t *testing.T) {
	s := geminifake.New(t)
	s.Handle(func(r geminifake.Request) geminifake.Reply {
		enum := r.Schema().Lookup("colour").Enum
		return geminifake.JSON(map[string]string{"colour": enum[len(enum)-1]})
	})
	c := newClient(t, s, s.APIKey)
	for range 2 {
		resp, err := c.Models.GenerateContent(t.Context(), "gemini-2.5-pro", genai.Text("Pick."), structuredConfig())
		require.NoError(t, err)
		assert.JSONEq(t, `{"colour":"green"}`, resp.Text())
	}
	assert.Len(t, s.Requests(), 2)
}

// post sends a hand-made request, bypassing the client, and decodes Google's
// error envelope.
func post(t *testing.T, s *geminifake.Server, method, path, key, body string) (int, geminifake.ErrorBody) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, strings.TrimSuffix(s.URL, "/")+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("x-goog-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var e geminifake.ErrorBody
	if resp.StatusCode != 200 {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e), "error bodies are Google's JSON envelope")
		assert.Equal(t, resp.StatusCode, e.Error.Code)
	}
	return resp.StatusCode, e
}

func TestRejectsWhatTheServiceRejects(t *testing.T) {
	const good = `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`
	const path = "/v1beta/models/gemini-2.5-flash:generateContent"
	cases := []struct {
		name, method, path, key, body string
		code                          int
		status, message               string
	}{
		{"malformed JSON", "POST", path, "", `{"contents": [`, 400, "INVALID_ARGUMENT", "Invalid JSON payload"},
		{"unknown top-level field", "POST", path, "", `{"contents":[{"parts":[{"text":"hi"}]}],"temprature":0}`, 400, "INVALID_ARGUMENT", "temprature"},
		{"snake_case inside generationConfig", "POST", path, "", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"response_mime_type":"application/json"}}`, 400, "INVALID_ARGUMENT", "response_mime_type"},
		{"no contents", "POST", path, "", `{"contents":[]}`, 400, "INVALID_ARGUMENT", "contents is not specified"},
		{"empty parts", "POST", path, "", `{"contents":[{"role":"user","parts":[]}]}`, 400, "INVALID_ARGUMENT", "parts must not be empty"},
		{"bad role", "POST", path, "", `{"contents":[{"role":"system","parts":[{"text":"x"}]}]}`, 400, "INVALID_ARGUMENT", "valid role"},
		{"temperature out of range", "POST", path, "", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"temperature":3}}`, 400, "INVALID_ARGUMENT", "temperature"},
		{"schema without JSON mime type", "POST", path, "", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseSchema":{"type":"STRING"}}}`, 400, "INVALID_ARGUMENT", "response_mime_type"},
		{"lower-case schema type", "POST", path, "", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"string"}}}`, 400, "INVALID_ARGUMENT", "unknown type"},
		{"enum on an object", "POST", path, "", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","enum":["a"],"properties":{"a":{"type":"STRING"}}}}}`, 400, "INVALID_ARGUMENT", "enum"},
		{"duplicate enum value", "POST", path, "", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"STRING","enum":["a","a"]}}}`, 400, "INVALID_ARGUMENT", "duplicate"},
		{"required property not defined", "POST", path, "", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"a":{"type":"STRING"}},"required":["b"]}}}`, 400, "INVALID_ARGUMENT", `"b"`},
		{"array without items", "POST", path, "", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"ARRAY"}}}`, 400, "INVALID_ARGUMENT", "items"},
		{"missing API key", "POST", path, "-", good, 403, "PERMISSION_DENIED", "unregistered callers"},
		{"wrong API key", "POST", path, "AIza-wrong", good, 400, "INVALID_ARGUMENT", "API key not valid"},
		{"GET", "GET", path, "", "", 405, "METHOD_NOT_ALLOWED", "POST"},
		{"unknown path", "POST", "/v1beta/gemini-2.5-flash:generateContent", "", good, 404, "NOT_FOUND", "not found"},
		{"other method", "POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "", good, 404, "NOT_FOUND", "only generateContent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := geminifake.New(t)
			key := s.APIKey
			switch tc.key {
			case "-":
				key = ""
			case "":
			default:
				key = tc.key
			}
			code, e := post(t, s, tc.method, tc.path, key, tc.body)
			assert.Equal(t, tc.code, code)
			assert.Equal(t, tc.status, e.Error.Status)
			assert.Contains(t, e.Error.Message, tc.message)
			reqs := s.Requests()
			require.Len(t, reqs, 1, "rejected requests are recorded too")
			assert.Equal(t, e.Error.Message, reqs[0].Problem)
		})
	}
}

func TestValidRawRequestIsAnswered(t *testing.T) {
	s := geminifake.New(t)
	s.Enqueue(geminifake.Text("hello"))
	code, _ := post(t, s, "POST", "/v1beta/models/gemini-2.5-flash:generateContent", s.APIKey, `{"contents":[{"parts":[{"text":"hi"}]}]}`)
	assert.Equal(t, 200, code)
}

func TestUnknownModel(t *testing.T) {
	s := geminifake.New(t, geminifake.WithModels("gemini-2.5-flash"))
	c := newClient(t, s, s.APIKey)
	_, err := c.Models.GenerateContent(t.Context(), "gemini-9", genai.Text("hi"), nil)
	var apiErr genai.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 404, apiErr.Code)
	assert.Equal(t, "NOT_FOUND", apiErr.Status)
	assert.Contains(t, apiErr.Message, "models/gemini-9 is not found")
}

func TestErrorsReachTheClientAsAPIErrors(t *testing.T) {
	s := geminifake.New(t, geminifake.WithAPIKey("AIza-custom"))
	s.Enqueue(
		geminifake.Reply{Status: 429, Message: "Resource has been exhausted (e.g. check quota).", RetryDelay: 7 * time.Second},
		geminifake.Error(503, "The model is overloaded. Please try again later."),
	)
	c := newClient(t, s, "AIza-custom")

	_, err := c.Models.GenerateContent(t.Context(), "gemini-2.5-flash", genai.Text("hi"), nil)
	var apiErr genai.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 429, apiErr.Code)
	assert.Equal(t, "RESOURCE_EXHAUSTED", apiErr.Status)
	require.Len(t, apiErr.Details, 1)
	assert.Equal(t, "type.googleapis.com/google.rpc.RetryInfo", apiErr.Details[0]["@type"])
	assert.Equal(t, "7s", apiErr.Details[0]["retryDelay"])

	_, err = c.Models.GenerateContent(t.Context(), "gemini-2.5-flash", genai.Text("hi"), nil)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.Code)
	assert.Equal(t, "UNAVAILABLE", apiErr.Status)

	bad := newClient(t, s, "AIza-other")
	_, err = bad.Models.GenerateContent(t.Context(), "gemini-2.5-flash", genai.Text("hi"), nil)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 400, apiErr.Code)
	assert.Equal(t, "API_KEY_INVALID", apiErr.Details[0]["reason"])
}

func TestBlockedPromptAndFinishReason(t *testing.T) {
	s := geminifake.New(t)
	s.Enqueue(geminifake.Reply{BlockReason: "PROHIBITED_CONTENT"}, geminifake.Reply{Text: `{"colour":`, FinishReason: "MAX_TOKENS"})
	c := newClient(t, s, s.APIKey)

	resp, err := c.Models.GenerateContent(t.Context(), "gemini-2.5-flash", genai.Text("hi"), nil)
	require.NoError(t, err)
	assert.Empty(t, resp.Candidates)
	require.NotNil(t, resp.PromptFeedback)
	assert.Equal(t, genai.BlockedReasonProhibitedContent, resp.PromptFeedback.BlockReason)

	resp, err = c.Models.GenerateContent(t.Context(), "gemini-2.5-flash", genai.Text("hi"), nil)
	require.NoError(t, err)
	assert.Equal(t, genai.FinishReasonMaxTokens, resp.Candidates[0].FinishReason)
}

// A delayed reply outlives a client deadline; the client sees the deadline
// and the server does not hold the test up afterwards.
func TestDelayAndClientDeadline(t *testing.T) {
	s := geminifake.New(t)
	s.Enqueue(geminifake.Text("late").After(time.Minute))
	c := newClient(t, s, s.APIKey)
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("hi"), nil)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	reqs := s.Requests()
	require.Len(t, reqs, 1)
	assert.NotEmpty(t, reqs[0].Header.Get("X-Server-Timeout"), "the client tells the server its deadline")
}

func TestInt64AcceptsStringsAndNumbers(t *testing.T) {
	var sc geminifake.Schema
	require.NoError(t, json.NewDecoder(bytes.NewReader([]byte(`{"type":"ARRAY","minItems":"1","maxItems":3,"items":{"type":"STRING"}}`))).Decode(&sc))
	assert.EqualValues(t, 1, *sc.MinItems)
	assert.EqualValues(t, 3, *sc.MaxItems)
	assert.Error(t, json.Unmarshal([]byte(`{"minItems":"one"}`), &sc))
}
