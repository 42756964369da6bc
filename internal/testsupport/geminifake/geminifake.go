// Package geminifake is a local stand-in for the Gemini API's generateContent
// endpoint, for tests that drive the real google.golang.org/genai client
// through HTTPOptions.BaseURL. It listens on 127.0.0.1 only, checks each
// request the way the service does (method, path, x-goog-api-key, a strictly
// decoded body, the response schema), answers malformed requests with Google's
// error JSON, and otherwise plays back scripted replies while recording every
// request for assertions.
//
//	srv := geminifake.New(t)
//	srv.Enqueue(geminifake.Error(503, "The model is overloaded."), geminifake.JSON(answer))
//	client, _ := genai.NewClient(ctx, &genai.ClientConfig{APIKey: srv.APIKey,
//		Backend: genai.BackendGeminiAPI, HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL}})
package geminifake

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultAPIKey is the key a Server accepts unless WithAPIKey says otherwise.
// It is deliberately recognisable so tests can look for leaks of it.
const DefaultAPIKey = "AIzaFAKE-geminifake-secret-0123456789"

// maxBody mirrors the service's request size limit closely enough for tests.
const maxBody = 20 << 20

// Request is one request the server received, valid or not.
type Request struct {
	Method     string
	Path       string
	Query      string
	Header     http.Header
	Raw        []byte
	APIVersion string // "v1beta"
	Model      string // "gemini-2.5-flash", from the path
	// Body is the decoded request; only meaningful when Problem is empty.
	Body GenerateContentRequest
	// Problem is the message of the 4xx the server answered with, "" when the
	// request was valid and got the scripted reply.
	Problem  string
	Received time.Time
}

// Prompt is every text part of the request (system instruction first, then
// the contents), joined by newlines.
func (r Request) Prompt() string {
	var b strings.Builder
	add := func(c *Content) {
		if c == nil {
			return
		}
		for _, p := range c.Parts {
			if p.Text != "" {
				b.WriteString(p.Text)
				b.WriteByte('\n')
			}
		}
	}
	add(r.Body.SystemInstruction)
	for i := range r.Body.Contents {
		add(&r.Body.Contents[i])
	}
	return b.String()
}

// Schema returns the request's responseSchema, or nil.
func (r Request) Schema() *Schema {
	if r.Body.GenerationConfig == nil {
		return nil
	}
	return r.Body.GenerationConfig.ResponseSchema
}

// Reply is what the server answers one valid request with.
type Reply struct {
	// Status is the HTTP status; 0 means 200.
	Status int
	// Text is the single candidate's text on a 200.
	Text string
	// FinishReason defaults to "STOP".
	FinishReason string
	// BlockReason, when set, answers with promptFeedback.blockReason and no
	// candidates, as the service does for a blocked prompt.
	BlockReason string
	// Message is the error message on a non-200.
	Message string
	// RetryDelay adds a google.rpc.RetryInfo detail to an error (as the
	// service does on 429).
	RetryDelay time.Duration
	// Body, when set, is written verbatim instead of anything above.
	Body []byte
	// Delay holds the answer back this long (or until the client gives up).
	Delay time.Duration
}

// Text answers 200 with one candidate whose text is s.
func Text(s string) Reply { return Reply{Text: s} }

// JSON answers 200 with one candidate whose text is v marshalled to JSON, as
// a model does when responseMimeType is application/json.
func JSON(v any) Reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("geminifake.JSON: %v", err))
	}
	return Reply{Text: string(b)}
}

// Error answers with Google's error JSON for this HTTP status.
func Error(status int, message string) Reply {
	return Reply{Status: status, Message: message}
}

// After returns r delayed by d.
func (r Reply) After(d time.Duration) Reply {
	r.Delay = d
	return r
}

// Handler computes the reply to a valid request.
type Handler func(Request) Reply

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL to give the client (HTTPOptions.BaseURL).
	URL string
	// APIKey is the key the server accepts in x-goog-api-key.
	APIKey string

	t      testing.TB
	srv    *httptest.Server
	models []string

	mu       sync.Mutex
	queue    []Reply
	handler  Handler
	requests []Request
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey sets the key the server accepts.
func WithAPIKey(key string) Option { return func(s *Server) { s.APIKey = key } }

// WithModels restricts the models the server knows; others get 404 NOT_FOUND
// as an unknown model does. By default every model name is accepted.
func WithModels(models ...string) Option {
	return func(s *Server) { s.models = append([]string(nil), models...) }
}

// New starts a fake on 127.0.0.1 and stops it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{APIKey: DefaultAPIKey, t: t}
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("geminifake: listening on 127.0.0.1: %v", err)
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	s.URL = s.srv.URL + "/"
	t.Cleanup(s.Close)
	return s
}

// Close stops the server; requests still waiting on a Delay are cut short.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Enqueue adds replies, used in order, one per valid request.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, replies...)
}

// Handle answers every valid request with h once the queue is empty.
func (s *Server) Handle(h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = h
}

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Pending is the number of scripted replies not used yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

var pathRE = regexp.MustCompile(`^/(v1|v1beta|v1alpha)/models/([^/:]+):([A-Za-z]+)$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		Query:    r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Received: time.Now(),
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	req.Raw = raw
	if err != nil {
		s.reject(w, &req, 400, "reading request body: "+err.Error(), nil)
		return
	}
	status, msg, details := s.check(r, &req)
	if status != 0 {
		s.reject(w, &req, status, msg, details)
		return
	}
	s.record(req)

	reply, ok := s.next(req)
	if !ok {
		s.t.Errorf("geminifake: request %s for model %q arrived but no reply was scripted", req.Path, req.Model)
		writeError(w, 500, "geminifake: no scripted reply for this request", nil)
		return
	}
	if reply.Delay > 0 {
		select {
		case <-time.After(reply.Delay):
		case <-r.Context().Done():
			return
		}
	}
	s.write(w, req, reply)
}

// check validates a request as the service would, returning the HTTP status
// and message of the error to answer with, or status 0 when it is valid.
func (s *Server) check(r *http.Request, req *Request) (int, string, []map[string]any) {
	m := pathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		return 404, fmt.Sprintf("The requested URL %s was not found on this server.", r.URL.Path), nil
	}
	req.APIVersion, req.Model = m[1], m[2]
	if m[3] != "generateContent" {
		return 404, fmt.Sprintf("Method %s is not implemented by this fake (only generateContent).", m[3]), nil
	}
	if r.Method != http.MethodPost {
		return 405, fmt.Sprintf("Method %s is not allowed for generateContent; use POST.", r.Method), nil
	}
	key := r.Header.Get("x-goog-api-key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	if key == "" {
		return 403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", nil
	}
	if key != s.APIKey {
		return 400, "API key not valid. Please pass a valid API key.", []map[string]any{{
			"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
			"reason":   "API_KEY_INVALID",
			"domain":   "googleapis.com",
			"metadata": map[string]any{"service": "generativelanguage.googleapis.com"},
		}}
	}
	if len(s.models) > 0 && !slices.Contains(s.models, req.Model) {
		return 404, fmt.Sprintf("models/%s is not found for API version %s, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.", req.Model, req.APIVersion), nil
	}
	if len(req.Raw) > maxBody {
		return 413, "Request payload size exceeds the limit: 20971520 bytes.", nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return 400, fmt.Sprintf("Invalid Content-Type %q; the body must be JSON.", ct), nil
	}
	if err := decodeStrict(req.Raw, &req.Body); err != nil {
		msg := "Invalid JSON payload received. " + err.Error()
		return 400, msg, badRequest("", msg)
	}
	if field, msg := validate(req.Body); msg != "" {
		return 400, "* GenerateContentRequest." + field + ": " + msg, badRequest(field, msg)
	}
	return 0, "", nil
}

func badRequest(field, msg string) []map[string]any {
	v := map[string]any{"description": msg}
	if field != "" {
		v["field"] = field
	}
	return []map[string]any{{
		"@type":           "type.googleapis.com/google.rpc.BadRequest",
		"fieldViolations": []any{v},
	}}
}

// validate applies the service's semantic checks to a decoded body and
// returns the offending field and message, or "" when the body is valid.
func validate(b GenerateContentRequest) (string, string) {
	if len(b.Contents) == 0 {
		return "contents", "contents is not specified"
	}
	for i, c := range b.Contents {
		if c.Role != "" && c.Role != "user" && c.Role != "model" {
			return fmt.Sprintf("contents[%d].role", i), fmt.Sprintf("Please use a valid role: user, model. Got %q.", c.Role)
		}
		if len(c.Parts) == 0 {
			return fmt.Sprintf("contents[%d].parts", i), "contents.parts must not be empty."
		}
	}
	if b.SystemInstruction != nil && len(b.SystemInstruction.Parts) == 0 {
		return "system_instruction.parts", "system_instruction.parts must not be empty."
	}
	g := b.GenerationConfig
	if g == nil {
		return "", ""
	}
	if g.Temperature != nil && (*g.Temperature < 0 || *g.Temperature > 2) {
		return "generation_config.temperature", "temperature must be in the range [0.0, 2.0]."
	}
	if g.TopP != nil && (*g.TopP < 0 || *g.TopP > 1) {
		return "generation_config.top_p", "top_p must be in the range [0.0, 1.0]."
	}
	if g.CandidateCount != nil && (*g.CandidateCount < 1 || *g.CandidateCount > 8) {
		return "generation_config.candidate_count", "candidate_count must be in the range [1, 8]."
	}
	switch g.ResponseMIMEType {
	case "", "text/plain", "application/json", "text/x.enum":
	default:
		return "generation_config.response_mime_type", fmt.Sprintf("allowed mimetypes are `text/plain`, `application/json`, `text/x.enum`; got %q.", g.ResponseMIMEType)
	}
	if g.ResponseSchema != nil && len(g.ResponseJSONSchema) > 0 {
		return "generation_config.response_schema", "response_schema and response_json_schema cannot both be set."
	}
	if g.ResponseSchema != nil || len(g.ResponseJSONSchema) > 0 {
		if g.ResponseMIMEType != "application/json" && g.ResponseMIMEType != "text/x.enum" {
			return "generation_config.response_mime_type", "response_mime_type must be `application/json` or `text/x.enum` when a response schema is set."
		}
	}
	if g.ResponseSchema != nil {
		if field, msg := validateSchema("generation_config.response_schema", g.ResponseSchema); msg != "" {
			return field, msg
		}
	}
	return "", ""
}

func validateSchema(field string, s *Schema) (string, string) {
	switch s.Type {
	case "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL":
	case "":
		if len(s.AnyOf) == 0 {
			return field + ".type", "must be specified"
		}
	default:
		return field + ".type", fmt.Sprintf("unknown type %q; types are upper-case OpenAPI names such as STRING or OBJECT", s.Type)
	}
	if len(s.Enum) > 0 {
		if s.Type != "STRING" && s.Type != "INTEGER" {
			return field + ".enum", "enum is only supported for STRING and INTEGER types"
		}
		seen := map[string]bool{}
		for _, e := range s.Enum {
			if e == "" {
				return field + ".enum", "enum values must not be empty"
			}
			if seen[e] {
				return field + ".enum", fmt.Sprintf("duplicate enum value %q", e)
			}
			seen[e] = true
		}
	}
	switch s.Type {
	case "ARRAY":
		if s.Items == nil {
			return field + ".items", "missing field: items must be set for ARRAY type"
		}
		if f, m := validateSchema(field+".items", s.Items); m != "" {
			return f, m
		}
	case "OBJECT":
		if len(s.Properties) == 0 {
			return field + ".properties", "should be non-empty for OBJECT type"
		}
	}
	for _, r := range s.Required {
		if _, ok := s.Properties[r]; !ok {
			return field + ".required", fmt.Sprintf("required property %q is not defined in properties", r)
		}
	}
	for _, r := range s.PropertyOrdering {
		if _, ok := s.Properties[r]; !ok {
			return field + ".property_ordering", fmt.Sprintf("property %q in property_ordering is not defined in properties", r)
		}
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if s.Properties[n] == nil {
			return field + ".properties[" + n + "]", "property schema must not be null"
		}
		if f, m := validateSchema(field+".properties["+n+"]", s.Properties[n]); m != "" {
			return f, m
		}
	}
	for i, a := range s.AnyOf {
		if f, m := validateSchema(fmt.Sprintf("%s.any_of[%d]", field, i), a); m != "" {
			return f, m
		}
	}
	return "", ""
}

func (s *Server) reject(w http.ResponseWriter, req *Request, status int, msg string, details []map[string]any) {
	req.Problem = msg
	s.record(*req)
	writeError(w, status, msg, details)
}

func (s *Server) record(req Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, req)
}

func (s *Server) next(req Request) (Reply, bool) {
	s.mu.Lock()
	if len(s.queue) > 0 {
		r := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		return r, true
	}
	h := s.handler
	s.mu.Unlock()
	if h == nil {
		return Reply{}, false
	}
	return h(req), true
}

func (s *Server) write(w http.ResponseWriter, req Request, r Reply) {
	if r.Body != nil {
		status := r.Status
		if status == 0 {
			status = 200
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(status)
		w.Write(r.Body)
		return
	}
	if r.Status != 0 && r.Status != 200 {
		var details []map[string]any
		if r.RetryDelay > 0 {
			details = append(details, map[string]any{
				"@type":      "type.googleapis.com/google.rpc.RetryInfo",
				"retryDelay": fmt.Sprintf("%gs", r.RetryDelay.Seconds()),
			})
		}
		writeError(w, r.Status, r.Message, details)
		return
	}
	resp := GenerateContentResponse{
		ModelVersion: req.Model,
		ResponseID:   fmt.Sprintf("fake-%d", req.Received.UnixNano()),
	}
	promptTokens := tokens(req.Prompt())
	if r.BlockReason != "" {
		resp.PromptFeedback = &PromptFeedback{BlockReason: r.BlockReason}
		resp.UsageMetadata = &UsageMetadata{PromptTokenCount: promptTokens, TotalTokenCount: promptTokens}
	} else {
		finish := r.FinishReason
		if finish == "" {
			finish = "STOP"
		}
		resp.Candidates = []Candidate{{
			Content:      &Content{Role: "model", Parts: []Part{{Text: r.Text}}},
			FinishReason: finish,
		}}
		out := tokens(r.Text)
		resp.UsageMetadata = &UsageMetadata{PromptTokenCount: promptTokens, CandidatesTokenCount: out, TotalTokenCount: promptTokens + out}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(resp)
}

// tokens approximates a token count the way Google documents it: about four
// characters per token.
func tokens(s string) int { return (len(s) + 3) / 4 }

func writeError(w http.ResponseWriter, status int, msg string, details []map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(ErrorBody{Error: ErrorStatus{
		Code: status, Message: msg, Status: StatusName(status), Details: details,
	}})
}
