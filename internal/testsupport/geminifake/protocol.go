package geminifake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// The types below mirror the Gemini API's generateContent REST resources
// (https://ai.google.dev/api/generate-content) closely enough that a request
// the real service would reject with "Unknown name" is rejected here too:
// bodies are decoded strictly, field names in camelCase as the Go, Python and
// JS clients send them. Fields the fake never inspects are kept raw.

// GenerateContentRequest is the body of models.generateContent.
type GenerateContentRequest struct {
	Contents          []Content         `json:"contents"`
	SystemInstruction *Content          `json:"systemInstruction,omitempty"`
	GenerationConfig  *GenerationConfig `json:"generationConfig,omitempty"`
	SafetySettings    []json.RawMessage `json:"safetySettings,omitempty"`
	Tools             []json.RawMessage `json:"tools,omitempty"`
	ToolConfig        json.RawMessage   `json:"toolConfig,omitempty"`
	CachedContent     string            `json:"cachedContent,omitempty"`
	Model             string            `json:"model,omitempty"`
}

// Content is one turn of a conversation.
type Content struct {
	Role  string `json:"role,omitempty"`
	Parts []Part `json:"parts"`
}

// Part is one piece of a turn. The fake only reads Text.
type Part struct {
	Text                string          `json:"text,omitempty"`
	Thought             bool            `json:"thought,omitempty"`
	ThoughtSignature    string          `json:"thoughtSignature,omitempty"`
	InlineData          json.RawMessage `json:"inlineData,omitempty"`
	FileData            json.RawMessage `json:"fileData,omitempty"`
	FunctionCall        json.RawMessage `json:"functionCall,omitempty"`
	FunctionResponse    json.RawMessage `json:"functionResponse,omitempty"`
	ExecutableCode      json.RawMessage `json:"executableCode,omitempty"`
	CodeExecutionResult json.RawMessage `json:"codeExecutionResult,omitempty"`
	VideoMetadata       json.RawMessage `json:"videoMetadata,omitempty"`
	MediaResolution     json.RawMessage `json:"mediaResolution,omitempty"`
}

// GenerationConfig is the request's generationConfig.
type GenerationConfig struct {
	StopSequences              []string        `json:"stopSequences,omitempty"`
	ResponseMIMEType           string          `json:"responseMimeType,omitempty"`
	ResponseSchema             *Schema         `json:"responseSchema,omitempty"`
	ResponseJSONSchema         json.RawMessage `json:"responseJsonSchema,omitempty"`
	ResponseModalities         []string        `json:"responseModalities,omitempty"`
	CandidateCount             *Int64          `json:"candidateCount,omitempty"`
	MaxOutputTokens            *Int64          `json:"maxOutputTokens,omitempty"`
	Temperature                *float64        `json:"temperature,omitempty"`
	TopP                       *float64        `json:"topP,omitempty"`
	TopK                       *float64        `json:"topK,omitempty"`
	Seed                       *Int64          `json:"seed,omitempty"`
	PresencePenalty            *float64        `json:"presencePenalty,omitempty"`
	FrequencyPenalty           *float64        `json:"frequencyPenalty,omitempty"`
	ResponseLogprobs           bool            `json:"responseLogprobs,omitempty"`
	Logprobs                   *Int64          `json:"logprobs,omitempty"`
	EnableEnhancedCivicAnswers bool            `json:"enableEnhancedCivicAnswers,omitempty"`
	SpeechConfig               json.RawMessage `json:"speechConfig,omitempty"`
	ThinkingConfig             json.RawMessage `json:"thinkingConfig,omitempty"`
	ImageConfig                json.RawMessage `json:"imageConfig,omitempty"`
	MediaResolution            string          `json:"mediaResolution,omitempty"`
}

// Schema is the OpenAPI subset the Gemini API accepts as responseSchema.
type Schema struct {
	Type             string             `json:"type,omitempty"`
	Format           string             `json:"format,omitempty"`
	Title            string             `json:"title,omitempty"`
	Description      string             `json:"description,omitempty"`
	Nullable         bool               `json:"nullable,omitempty"`
	Enum             []string           `json:"enum,omitempty"`
	Items            *Schema            `json:"items,omitempty"`
	MaxItems         *Int64             `json:"maxItems,omitempty"`
	MinItems         *Int64             `json:"minItems,omitempty"`
	Properties       map[string]*Schema `json:"properties,omitempty"`
	Required         []string           `json:"required,omitempty"`
	PropertyOrdering []string           `json:"propertyOrdering,omitempty"`
	MinProperties    *Int64             `json:"minProperties,omitempty"`
	MaxProperties    *Int64             `json:"maxProperties,omitempty"`
	MinLength        *Int64             `json:"minLength,omitempty"`
	MaxLength        *Int64             `json:"maxLength,omitempty"`
	Pattern          string             `json:"pattern,omitempty"`
	Example          json.RawMessage    `json:"example,omitempty"`
	AnyOf            []*Schema          `json:"anyOf,omitempty"`
	Minimum          *float64           `json:"minimum,omitempty"`
	Maximum          *float64           `json:"maximum,omitempty"`
	Default          json.RawMessage    `json:"default,omitempty"`
}

// Lookup follows a path of property names ("items" steps into an array's
// element schema) and returns the schema found there, or nil.
func (s *Schema) Lookup(path ...string) *Schema {
	cur := s
	for _, p := range path {
		if cur == nil {
			return nil
		}
		if p == "items" && cur.Type == "ARRAY" {
			cur = cur.Items
			continue
		}
		cur = cur.Properties[p]
	}
	return cur
}

// Enums returns every enum value anywhere in the schema, keyed by the
// dotted path of the property that declares it.
func (s *Schema) Enums() map[string][]string {
	out := map[string][]string{}
	var walk func(prefix string, sc *Schema)
	walk = func(prefix string, sc *Schema) {
		if sc == nil {
			return
		}
		if len(sc.Enum) > 0 {
			out[prefix] = append([]string(nil), sc.Enum...)
		}
		if sc.Items != nil {
			walk(join(prefix, "items"), sc.Items)
		}
		for name, p := range sc.Properties {
			walk(join(prefix, name), p)
		}
		for i, a := range sc.AnyOf {
			walk(join(prefix, "anyOf"+strconv.Itoa(i)), a)
		}
	}
	walk("", s)
	return out
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// Int64 reads an int64 written either as a JSON number or, as proto3 JSON
// writes 64-bit integers, as a string.
type Int64 int64

// UnmarshalJSON accepts 3 and "3".
func (n *Int64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("invalid integer %s", b)
	}
	*n = Int64(v)
	return nil
}

// GenerateContentResponse is the body the service answers with.
type GenerateContentResponse struct {
	Candidates     []Candidate     `json:"candidates,omitempty"`
	PromptFeedback *PromptFeedback `json:"promptFeedback,omitempty"`
	UsageMetadata  *UsageMetadata  `json:"usageMetadata,omitempty"`
	ModelVersion   string          `json:"modelVersion,omitempty"`
	ResponseID     string          `json:"responseId,omitempty"`
}

// Candidate is one generated answer.
type Candidate struct {
	Content      *Content `json:"content,omitempty"`
	FinishReason string   `json:"finishReason,omitempty"`
	Index        int      `json:"index"`
}

// PromptFeedback says why a prompt was blocked.
type PromptFeedback struct {
	BlockReason string `json:"blockReason,omitempty"`
}

// UsageMetadata counts tokens.
type UsageMetadata struct {
	PromptTokenCount     int `json:"promptTokenCount"`
	CandidatesTokenCount int `json:"candidatesTokenCount"`
	TotalTokenCount      int `json:"totalTokenCount"`
}

// ErrorBody is Google's JSON error envelope
// (https://cloud.google.com/apis/design/errors#http_mapping).
type ErrorBody struct {
	Error ErrorStatus `json:"error"`
}

// ErrorStatus is google.rpc.Status as JSON.
type ErrorStatus struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Status  string           `json:"status"`
	Details []map[string]any `json:"details,omitempty"`
}

// statusNames maps HTTP codes to the canonical google.rpc.Code names the
// service puts in "status".
var statusNames = map[int]string{
	400: "INVALID_ARGUMENT",
	401: "UNAUTHENTICATED",
	403: "PERMISSION_DENIED",
	404: "NOT_FOUND",
	405: "METHOD_NOT_ALLOWED",
	409: "ABORTED",
	413: "INVALID_ARGUMENT",
	429: "RESOURCE_EXHAUSTED",
	499: "CANCELLED",
	500: "INTERNAL",
	501: "NOT_IMPLEMENTED",
	503: "UNAVAILABLE",
	504: "DEADLINE_EXCEEDED",
}

// StatusName returns the google.rpc.Code name used for an HTTP status.
func StatusName(code int) string {
	if s, ok := statusNames[code]; ok {
		return s
	}
	return "UNKNOWN"
}

// decodeStrict decodes exactly one JSON value into v, rejecting unknown
// fields the way the service does ("Unknown name ...: Cannot find field").
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON object")
	}
	return nil
}
