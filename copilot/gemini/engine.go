// Package gemini is the copilot engine backed by Google's Gemini models
// (google.golang.org/genai, with a Gemini API key or Vertex AI credentials).
//
// The model never sees the whole catalog and never names anything freely:
// the built-in decomposer splits the sentence into phrases, retrieval picks
// the top catalog candidates per phrase, and one generateContent call at
// temperature 0 asks the model to choose among exactly those candidates
// through a response schema whose enums list them. The answer is checked
// again on the way back: a value that is not a candidate or not in the
// catalog rejects the whole draft, naming the value. The result then goes
// through copilot.Finalize like every engine's. Failures of the service are
// returned as errors; this engine never falls back to another one silently.
//
// Configuration (ConfigFromEnv):
//
//	GEMINI_API_KEY         Gemini API key (GOOGLE_API_KEY is read when unset); never logged
//	GEMINI_MODEL           model name, default gemini-2.5-flash
//	GEMINI_BASE_URL        endpoint override (a proxy, or a local fake in tests)
//	GEMINI_TIMEOUT         limit per call, a Go duration, default 20s
//	GEMINI_RETRIES         retries after 408/429/5xx, timeouts or dropped connections, default 2
//	GEMINI_CANDIDATES      catalog candidates offered per phrase, default 8
//	GOOGLE_GENAI_USE_VERTEXAI=true with GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION
//	                       use Vertex AI with Application Default Credentials instead of a key
package gemini

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/steward-dev/steward/copilot"
	"github.com/steward-dev/steward/policy"
)

// EngineName is what drafts from this engine carry in Draft.Engine.
const EngineName = "gemini"

// Engine drafts policies with Gemini. It is safe for concurrent use.
type Engine struct {
	cfg        Config
	client     *genai.Client
	log        *slog.Logger
	candidates candidatesFunc
	finalize   func(*policy.Catalog, copilot.Draft) copilot.Draft
}

var _ copilot.Engine = (*Engine)(nil)

// New checks cfg, fills defaults and creates the client. It does not call
// the service.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, candidates: copilot.Candidates, finalize: copilot.Finalize}
	// The built-in engine caches its resolution index per catalog; retrieval
	// and Finalize reuse it instead of indexing the catalog on every call.
	var builtin copilot.Engine = copilot.NewBuiltin()
	if b, ok := builtin.(cachedResolver); ok {
		e.candidates, e.finalize = b.Candidates, b.Finalize
	}
	cc := &genai.ClientConfig{HTTPOptions: genai.HTTPOptions{BaseURL: cfg.BaseURL}}
	if cfg.UseVertex {
		cc.Backend = genai.BackendVertexAI
		cc.Project, cc.Location = cfg.Project, cfg.Location
	} else {
		cc.Backend = genai.BackendGeminiAPI
		cc.APIKey = cfg.APIKey
	}
	client, err := genai.NewClient(ctx, cc)
	if err != nil {
		// The library's message may print the whole client config, key included.
		return nil, errors.New("gemini: creating the client: " + e.redact(err.Error()))
	}
	e.client = client
	return e, nil
}

// cachedResolver is what the built-in engine offers beyond copilot.Engine:
// the package's Candidates and Finalize backed by a per-catalog cache.
type cachedResolver interface {
	Candidates(cat *policy.Catalog, phrase string, k int) []copilot.Match
	Finalize(cat *policy.Catalog, d copilot.Draft) copilot.Draft
}

// Model is the model the engine calls.
func (e *Engine) Model() string { return e.cfg.Model }

// Draft turns one sentence into a policy draft. A sentence that cannot be
// drafted (not a policy, unresolved phrases, an answer naming something the
// catalog lacks) comes back as a draft with OK false and Error saying why; a
// failure to get an answer at all (timeout, quota, bad key) is the error.
func (e *Engine) Draft(ctx context.Context, sentence string, cat *policy.Catalog) (copilot.Draft, error) {
	d := copilot.Draft{Sentence: sentence, Engine: EngineName, Resolution: []copilot.PhraseResolution{}, Unresolved: []string{}}
	if cat == nil {
		return d, errors.New("gemini: drafting a policy needs a catalog")
	}
	start := time.Now()
	dec, err := copilot.Decompose(sentence)
	d.Decomposition = dec
	if err != nil {
		var refusal *copilot.RefusalError
		if !errors.As(err, &refusal) {
			return d, fmt.Errorf("gemini: decomposing the sentence: %w", err)
		}
		// Not a policy: refused before anything is sent to the model.
		d.Error = refusal.Reason
		return e.finish(cat, d, start, nil), nil
	}

	r := retrieve(cat, dec, e.cfg.Candidates, e.candidates)
	gc := &genai.GenerateContentConfig{
		SystemInstruction: genai.NewContentFromText(instructions, genai.RoleUser),
		Temperature:       genai.Ptr[float32](0),
		CandidateCount:    1,
		ResponseMIMEType:  "application/json",
		ResponseSchema:    r.schema(),
	}
	contents := []*genai.Content{genai.NewContentFromText(r.prompt(sentence, dec), genai.RoleUser)}
	resp, err := e.generate(ctx, contents, gc)
	if err != nil {
		// Reported, not replaced: no draft from another engine stands in.
		d.Error = err.Error()
		return d, err
	}

	text, problem := answerText(resp)
	if problem != "" {
		d.Error = problem
		return e.finish(cat, d, start, resp), nil
	}
	a, err := parseAnswer(text)
	if err != nil {
		d.Error = "The Gemini answer was rejected and nothing was drafted: " + err.Error() + "."
		return e.finish(cat, d, start, resp), nil
	}
	return e.finish(cat, build(cat, r, a, d), start, resp), nil
}

// finish passes every draft, refused or not, through the shared checks and
// logs the outcome.
func (e *Engine) finish(cat *policy.Catalog, d copilot.Draft, start time.Time, resp *genai.GenerateContentResponse) copilot.Draft {
	// The model's words can end up in the error; a key-shaped value never does.
	d.Error = e.redact(d.Error)
	d.OK = d.Error == "" && d.Policy != nil
	d = e.finalize(cat, d)
	d.Engine = EngineName
	attrs := []any{"model", e.cfg.Model, "ok", d.OK, "elapsed", time.Since(start)}
	if resp != nil && resp.UsageMetadata != nil {
		attrs = append(attrs, "prompt_tokens", resp.UsageMetadata.PromptTokenCount, "total_tokens", resp.UsageMetadata.TotalTokenCount)
	}
	if !d.OK {
		attrs = append(attrs, "reason", d.Error)
	}
	e.log.Info("gemini draft", attrs...)
	return d
}

// answerText is the candidate's text, or why there is none worth parsing.
func answerText(resp *genai.GenerateContentResponse) (string, string) {
	if resp == nil {
		return "", "Gemini returned an empty response."
	}
	if len(resp.Candidates) == 0 {
		if resp.PromptFeedback != nil && resp.PromptFeedback.BlockReason != "" {
			return "", fmt.Sprintf("Gemini blocked the request (%s); rephrase the sentence.", resp.PromptFeedback.BlockReason)
		}
		return "", "Gemini returned no answer."
	}
	c := resp.Candidates[0]
	switch c.FinishReason {
	case "", genai.FinishReasonStop:
	case genai.FinishReasonMaxTokens:
		return "", "Gemini's answer was cut off (MAX_TOKENS); try a shorter sentence."
	default:
		return "", fmt.Sprintf("Gemini stopped without a usable answer (%s); rephrase the sentence.", c.FinishReason)
	}
	var b strings.Builder
	if c.Content != nil {
		for _, p := range c.Content.Parts {
			if p != nil && !p.Thought {
				b.WriteString(p.Text)
			}
		}
	}
	if strings.TrimSpace(b.String()) == "" {
		return "", "Gemini returned an empty answer."
	}
	return b.String(), ""
}
